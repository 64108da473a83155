"""When a coordinator broadcast may go and at which pace (issue 10): the chosen local time,
quiet hours (they hold a non-urgent broadcast until the morning, also one that runs into
them; urgent ones go at once), the sending rate, the expected end, and how often the
coordinator's status message is edited. Pure rules on the `now` passed in.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.domain.quiet_hours import QuietHours

DEFAULT_RATE = 25.0  # messages per second: headroom under Telegram's ~30/s
PAID_RATE = 1000.0  # allow_paid_broadcast: "up to 1000 messages per second", for a fee
# Edits count against the chat's own limit (~1 message per second, shared with relays and
# answers to the coordinator), and a 429 pauses the whole drain: one edit per 3 s keeps
# the coordinator's chat far from it and still reads as a live counter.
STATUS_EDIT_INTERVAL = timedelta(seconds=3)


# -- when it may go ------------------------------------------------------------------------


def scheduled_utc(local: datetime, zone: ZoneInfo, now: datetime) -> datetime:
    """The moment of a local clock time the coordinator chose (naive, in `zone`). A time
    the clocks skip (02:30 when summer time starts) is read with the offset before, i.e.
    03:30 summer time; one that happens twice is the first. The past is refused: it is a
    typo, not "now" (which is no scheduled time at all)."""
    if local.tzinfo is not None:
        raise ValueError("a scheduled time is a local clock time, without a zone")
    moment = local.replace(tzinfo=zone, fold=0).astimezone(UTC)
    if moment < now:
        raise ValueError(f"{local.isoformat()} has passed")
    return moment


def start_at(now: datetime, scheduled: datetime | None, quiet: QuietHours | None,
             zone: ZoneInfo, urgent: bool = False) -> datetime:
    """The earliest moment (UTC) it may go: not before its time, and for a non-urgent one
    not in quiet hours (then at their end, e.g. 09:00 the next morning)."""
    moment = max(now, scheduled or now).astimezone(UTC)
    if urgent or quiet is None:
        return moment
    return quiet.next_allowed(moment.astimezone(zone)).astimezone(UTC)


def _quiet_begins(local: datetime, quiet: QuietHours) -> datetime:
    """The next start of quiet hours after `local` (a moment outside them), in UTC."""
    begin = local.replace(hour=quiet.start.hour, minute=quiet.start.minute, second=0,
                          microsecond=0)
    if begin <= local:
        begin += timedelta(days=1)  # wall-clock day: the same hour after a clock change
    return begin.astimezone(UTC)


# -- pace and status ----------------------------------------------------------------------


def send_rate(configured: float = DEFAULT_RATE, paid: bool = False) -> float:
    """Messages per second a broadcast may use: the configured limit, or Telegram's paid
    broadcast limit when the operator pays for it."""
    if configured <= 0:
        raise ValueError("the rate must be positive")
    return PAID_RATE if paid else configured


def estimated_end(remaining: int, rate: float, now: datetime, quiet: QuietHours | None,
                  zone: ZoneInfo, urgent: bool = False) -> datetime:
    """When the last of `remaining` messages goes at `rate` per second, from `now` (UTC).
    A non-urgent broadcast rests in quiet hours, so a long one may end the next morning.
    Nothing remaining: now. An estimate: relays and answers share the pace."""
    if rate <= 0:
        raise ValueError("the rate must be positive")
    now = now.astimezone(UTC)
    need = timedelta(seconds=max(remaining, 0) / rate)
    if not need or urgent or quiet is None:
        return now + need
    moment = now
    while True:  # each round uses up one window between quiet hours (never empty)
        moment = start_at(moment, None, quiet, zone)
        pause = _quiet_begins(moment.astimezone(zone), quiet)
        if moment + need <= pause:
            return moment + need
        need -= pause - moment
        moment = pause


def next_status_edit(last_edited: datetime | None, now: datetime,
                     changed: bool) -> datetime | None:
    """When to edit the coordinator's status message: None when the figures did not change
    (an identical edit is refused by Telegram and still costs the chat's budget), else now
    or STATUS_EDIT_INTERVAL after the last edit, whichever is later. The final report waits
    for that interval as well."""
    if not changed:
        return None
    if last_edited is None:
        return now
    return max(now, last_edited + STATUS_EDIT_INTERVAL)
