"""What became of one outgoing message: plain values, so services and the outbox can decide."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class Delivery(StrEnum):
    SENT = "sent"
    REFUSED = "refused"  # Telegram rejected this message (400); others may still go
    UNREACHABLE = "unreachable"  # blocked the bot, or the chat is gone (403, chat not found)
    LATER = "later"  # not now without a long wait: Telegram or our own limits say when


@dataclass(frozen=True)
class SendResult:
    status: Delivery
    retry_at: datetime | None = None  # UTC; only for LATER: a `not_before` for a queue
    detail: str = ""  # Telegram's description of a refusal
    message_id: int | None = None  # of the (last) message sent, when known

    @property
    def sent(self) -> bool:
        return self.status is Delivery.SENT

    @property
    def final(self) -> bool:
        """Nothing more can go to this chat now: stop sending the rest of a turn's replies."""
        return self.status in (Delivery.UNREACHABLE, Delivery.LATER)


# The detail of a LATER that only our own rate limiter asked for: nothing failed.
RATE_LIMITED = "rate limited"
SENT = SendResult(Delivery.SENT)
UNREACHABLE = SendResult(Delivery.UNREACHABLE)
