"""Logging that never prints a secret (the bot token, the database password), whoever logs it.

Redaction happens when a record is created, through a LogRecord factory: a filter on a
handler only sees the handlers it was added to (not the ones added later, such as pytest's),
and a filter on the root logger is skipped for records propagated from child loggers
(aiogram, aiohttp, sqlalchemy). The factory sees every record of every logger.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any

MASK = "<redacted>"
_FORMATTER = logging.Formatter()


def mask(text: str, secrets: Iterable[str]) -> str:
    """`text` with every secret replaced; longest first, so no fragment of one survives."""
    for secret in sorted({s for s in secrets if s}, key=len, reverse=True):
        text = text.replace(secret, MASK)
    return text


class _RedactingFactory:
    """Wraps the previous record factory and scrubs each record it makes."""

    def __init__(self, inner: Callable[..., logging.LogRecord]) -> None:
        self.inner = inner
        self.secrets: set[str] = set()

    def __call__(self, *args: Any, **kwargs: Any) -> logging.LogRecord:
        record = self.inner(*args, **kwargs)
        if self.secrets:
            scrub(record, self.secrets)
        return record


def scrub(record: logging.LogRecord, secrets: Iterable[str]) -> None:
    """Remove secrets from the message, the traceback and the stack of one record."""
    secrets = frozenset(secrets)
    _scrub_message(record, secrets)
    if record.exc_info and not record.exc_text:
        # Handlers format tracebacks later from exc_info; format it now, redacted, and the
        # Formatter reuses exc_text. Drop the exception itself if it carries a secret.
        text = _FORMATTER.formatException(record.exc_info)
        record.exc_text = mask(text, secrets)
        if record.exc_text != text:
            record.exc_info = None
    elif record.exc_text:
        record.exc_text = mask(record.exc_text, secrets)
    if record.stack_info:
        record.stack_info = mask(record.stack_info, secrets)


def _scrub_message(record: logging.LogRecord, secrets: frozenset[str]) -> None:
    try:
        message = record.getMessage()
    except Exception:  # a malformed call: the handler will print msg and args verbatim
        message = f"{record.msg} {record.args!r}"
        if mask(message, secrets) == message:
            return  # leave it to the handler's own error report
    clean = mask(message, secrets)
    if clean != message:
        record.msg, record.args = clean, None


def protect_secrets(*secrets: str | None) -> None:
    """From now on, no log record of any logger contains these strings. Idempotent: the
    factory is installed once and later calls only add secrets."""
    factory = logging.getLogRecordFactory()
    if not isinstance(factory, _RedactingFactory):
        factory = _RedactingFactory(factory)
        logging.setLogRecordFactory(factory)
    factory.secrets.update(s for s in secrets if s)


def configure(level: str, *secrets: str | None) -> None:
    protect_secrets(*secrets)
    logging.basicConfig(level=level.upper(),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)  # migration chatter at every start
