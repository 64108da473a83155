"""Machine translation (offline) and language detection."""
