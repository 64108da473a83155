"""Telegram's sending limits as token buckets that hand out delays, not sleeps.

Telegram asks for at most ~1 message per second per chat (short bursts allowed) and about
30 per second overall. A sender first waits `chat_delay`, then `global_delay`: the global
slot is booked only when the message is really about to go, so messages held back by
their chat never pile onto the global budget. Pure arithmetic on a clock value.

Edits count too: Telegram's per-chat limit is shared by sending and editing messages. What
only tidies up (retiring the keyboard of an answered message) takes *spare* capacity
(`take_spare`): never a slot that a message to the chat, or to anyone, is waiting for.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# 429s for this many different chats within this many seconds are one bot-wide limit.
BOT_WIDE_CHATS = 3
BOT_WIDE_WINDOW = 2.0
# Spare capacity: after taking it, this share of the chat's burst and of the global budget
# is still unused, and the chat can still send at least SPARE_CHAT_MINIMUM messages at once
# (with a burst of 3: the lane must be full again).
SPARE_SHARE = 0.5
SPARE_CHAT_MINIMUM = 2.0
_EPSILON = 1e-9


@dataclass
class TokenBucket:
    rate: float  # tokens per second
    burst: float  # bucket size
    tokens: float = field(init=False)
    updated: float | None = field(default=None, init=False)
    blocked_until: float = 0.0

    def __post_init__(self) -> None:
        self.tokens = self.burst

    def reserve(self, now: float) -> float:
        if self.updated is not None:
            elapsed = max(0.0, now - self.updated)
            self.tokens = min(self.burst, self.tokens + elapsed * self.rate)
        self.updated = now
        self.tokens -= 1.0
        wait = -self.tokens / self.rate if self.tokens < 0 else 0.0
        return max(wait, self.blocked_until - now)

    def level(self, now: float) -> float:
        """Tokens the bucket holds at `now` (books nothing)."""
        if self.updated is None:
            return self.tokens
        return min(self.burst, self.tokens + max(0.0, now - self.updated) * self.rate)

    def time_to(self, level: float, now: float) -> float:
        """Seconds until the bucket holds `level` tokens and is not blocked."""
        refill = max(0.0, level - self.level(now)) / self.rate
        return max(refill, self.blocked_until - now, 0.0)

    def release(self) -> None:
        """Give back a booking for a message that will not go after all."""
        self.tokens = min(self.burst, self.tokens + 1.0)

    def idle(self, now: float) -> bool:
        """Full again and not blocked: forgetting it changes nothing."""
        since = 0.0 if self.updated is None else now - self.updated
        refilled = self.tokens + since * self.rate
        return refilled >= self.burst and now >= self.blocked_until


class SendLimiter:
    def __init__(self, global_rate: float = 25.0, per_chat_rate: float = 1.0,
                 per_chat_burst: float = 3.0, max_tracked_chats: int = 10_000,
                 paid_rate: float = 1000.0) -> None:
        self._global = TokenBucket(global_rate, burst=max(1.0, global_rate))
        # allow_paid_broadcast messages: Telegram's higher, paid limit instead of the global.
        self._paid = TokenBucket(paid_rate, burst=max(1.0, paid_rate / 10))
        self._per_chat_rate = per_chat_rate
        self._per_chat_burst = per_chat_burst
        self._chats: dict[int, TokenBucket] = {}
        self._max_tracked = max_tracked_chats
        self._recent_429: dict[int, tuple[float, float]] = {}  # chat → (when, retry_after)

    def chat_delay(self, chat_id: int, now: float) -> float:
        """Book one message in `chat_id`'s lane; seconds to wait before `global_delay`."""
        bucket = self._chats.get(chat_id)
        if bucket is None:
            if len(self._chats) >= self._max_tracked:
                self._forget_idle(now)
            bucket = self._chats[chat_id] = TokenBucket(self._per_chat_rate, self._per_chat_burst)
        return bucket.reserve(now)

    def global_delay(self, now: float) -> float:
        """Book one message in the global budget; seconds to wait before sending."""
        return self._global.reserve(now)

    def spare_delay(self, chat_id: int, now: float) -> float:
        """Seconds until one more request to `chat_id` takes nothing a message needs: after
        it, half of the chat's burst and at least two messages (the next answer, even a
        notice and a question) are left for the chat, half of the global budget for
        everyone, and no retry_after is pending. 0: `take_spare` books it now. Books
        nothing."""
        bucket = self._chats.get(chat_id)
        chat_wait = 0.0 if bucket is None else bucket.time_to(min(
            bucket.burst, 1.0 + max(SPARE_CHAT_MINIMUM, bucket.burst * SPARE_SHARE)), now)
        spare_global = min(self._global.burst, 1.0 + self._global.burst * SPARE_SHARE)
        wait = max(chat_wait, self._global.time_to(spare_global, now))
        return 0.0 if wait <= _EPSILON else wait

    def take_spare(self, chat_id: int, now: float) -> bool:
        """Book one request that only tidies up (e.g. retiring an answered keyboard) in the
        chat's lane and the global budget, from spare capacity only: True if booked (send
        it now), False (nothing booked) while `spare_delay` is not 0."""
        if self.spare_delay(chat_id, now) > 0:
            return False
        self.chat_delay(chat_id, now)  # both 0: there is spare capacity in each
        self.global_delay(now)
        return True

    def paid_delay(self, chat_id: int, now: float) -> float:
        """Like `spare_delay` for a paid broadcast message: the chat keeps its share, the
        paid budget (not the global one) pays. Books nothing."""
        bucket = self._chats.get(chat_id)
        chat_wait = 0.0 if bucket is None else bucket.time_to(min(
            bucket.burst, 1.0 + max(SPARE_CHAT_MINIMUM, bucket.burst * SPARE_SHARE)), now)
        wait = max(chat_wait, self._paid.time_to(1.0, now),
                   self._global.blocked_until - now)
        return 0.0 if wait <= _EPSILON else wait

    def take_paid(self, chat_id: int, now: float) -> bool:
        if self.paid_delay(chat_id, now) > 0:
            return False
        self.chat_delay(chat_id, now)
        self._paid.reserve(now)
        return True

    def release(self, chat_id: int, *, global_too: bool = False) -> None:
        """Undo `chat_delay` (and `global_delay`) for a message that is not sent now."""
        if (bucket := self._chats.get(chat_id)) is not None:
            bucket.release()
        if global_too:
            self._global.release()

    def blocked_until(self, chat_id: int) -> float:
        """Until when Telegram told us to wait (for this chat or for everyone); 0 if not."""
        bucket = self._chats.get(chat_id)
        return max(self._global.blocked_until, bucket.blocked_until if bucket else 0.0)

    def retry_after(self, chat_id: int, seconds: float, now: float) -> bool:
        """Telegram answered 429: nothing more to this chat until the wait is over.

        Telegram does not say whether the limit was this chat's or the whole bot's. Several
        chats told to wait within a short time means the bot's: everyone waits, as long as
        the shortest of those waits. Returns True when the pause became bot-wide."""
        bucket = self._chats.setdefault(
            chat_id, TokenBucket(self._per_chat_rate, self._per_chat_burst))
        bucket.blocked_until = max(bucket.blocked_until, now + seconds)
        self._recent_429 = {c: (t, s) for c, (t, s) in self._recent_429.items()
                            if now - t <= BOT_WIDE_WINDOW}
        self._recent_429[chat_id] = (now, seconds)
        if len(self._recent_429) < BOT_WIDE_CHATS:
            return False
        self.pause_all(min(s for _t, s in self._recent_429.values()), now)
        return True

    def pause_all(self, seconds: float, now: float) -> None:
        """A bot-wide 429: nothing to anyone until the wait is over."""
        self._global.blocked_until = max(self._global.blocked_until, now + seconds)

    def tracked_chats(self) -> int:
        return len(self._chats)

    def _forget_idle(self, now: float) -> None:
        for chat_id in [c for c, b in self._chats.items() if b.idle(now)]:
            del self._chats[chat_id]
