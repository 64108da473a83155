"""Logging that never prints the bot token, whatever library logs a URL containing it."""

from __future__ import annotations

import logging

_FORMATTER = logging.Formatter()


class RedactToken(logging.Filter):
    def __init__(self, secret: str) -> None:
        super().__init__()
        self._secret = secret

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if self._secret in message:
            record.msg, record.args = message.replace(self._secret, "<token>"), None
        # Tracebacks are formatted later from exc_info; format them now, redacted, so the
        # handler uses this text (Formatter reuses record.exc_text when it is set).
        if record.exc_info and not record.exc_text:
            record.exc_text = _FORMATTER.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = record.exc_text.replace(self._secret, "<token>")
        if record.stack_info:
            record.stack_info = record.stack_info.replace(self._secret, "<token>")
        return True


def configure(level: str, secret: str | None = None) -> None:
    logging.basicConfig(level=level.upper(),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)  # migration chatter at every start
    if secret:
        redact = RedactToken(secret)
        for handler in logging.getLogger().handlers:
            handler.addFilter(redact)
