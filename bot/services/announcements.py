"""What a broadcast looks like: the announcement each recipient gets in their language (the
preview shows exactly this), and the coordinator's status message and final report.

A version's text is what a person wrote, plain text: it is escaped here and placed in a
message with a header and a footer in the recipient's language. With a photo or document
the whole announcement is its caption (Telegram allows 1,024 characters), so a version is
kept short enough for it (`max_text`).
"""

from __future__ import annotations

from datetime import datetime
from html import escape as _escape
from zoneinfo import ZoneInfo

from bot.domain import broadcast as b
from bot.domain import broadcast_timing as t
from bot.domain import outbox
from bot.domain.quiet_hours import QuietHours
from bot.domain.replies import Button
from bot.domain.text_split import visible_length
from bot.services import dates
from bot.services.handoff_routing import Reader

SCOPE = "x"  # the coordinator's buttons: x:<action>:<broadcast id>[-<language>]
CAPTION_LIMIT = 1024  # Telegram's, for a photo's or document's caption
TEXT_LIMIT = 3500  # one message with header and footer, under Telegram's 4,096
HEADROOM = 180  # header and footer, in the longest language


def _(message: str) -> str:
    return message  # marks a string for extraction; translated per reader


def escape(text: str) -> str:
    """A person's plain text, safe inside Telegram HTML."""
    return _escape(text, quote=False)


def say(reader: Reader, template: str, /, **values: str) -> str:
    """A template in the reader's language, filled safely for them."""
    return reader.fill(reader.gettext(template), **values)


def max_text(media: bool) -> int:
    """The longest version text: a caption leaves room for the header and footer."""
    return CAPTION_LIMIT - HEADROOM if media else TEXT_LIMIT


def fits(text: str, media: bool) -> bool:
    return 0 < visible_length(text.strip()) <= max_text(media)


def rendered(reader: Reader, place: str, text: str, *, urgent: bool = False) -> str:
    """The announcement as its recipient reads it (Telegram HTML, safe for RTL readers)."""
    title = say(reader, _("Urgent message from the coordinators in {place}") if urgent
                else _("Announcement from the coordinators in {place}"), place=place)
    body = escape(text.strip())
    footer = reader.gettext("You can turn announcements off in /settings.")
    icon = "🚨" if urgent else "📢"
    return reader.readable(outbox.Message(
        f"{icon} <b>{title}</b>\n\n{body}\n\n<i>{footer}</i>")).text


def announcement(reader: Reader, place: str, text: str, broadcast: b.Broadcast) -> \
        outbox.Message:
    """The outbox message for one recipient: text, or the photo/document with it."""
    html = rendered(reader, place, text, urgent=broadcast.urgent)
    media = broadcast.media
    if media is None:
        return outbox.Message(html, paid=broadcast.paid)
    return outbox.Message("", copy=outbox.Copy(media.chat_id, media.message_id, caption=html),
                          paid=broadcast.paid)


# -- the coordinator's status ----------------------------------------------------------------


def figures(progress: b.Progress, broadcast: b.Broadcast) -> b.Progress:
    """Progress with what is not written yet counted as remaining (rows are written in
    batches just ahead of the drain)."""
    if broadcast.written_all or broadcast.state in (b.State.DONE, b.State.CANCELLED):
        return progress
    ended = progress.total - progress.remaining
    return b.Progress(progress.sent, progress.unreachable, progress.failed, progress.skipped,
                      max(progress.remaining, broadcast.recipients - ended))


def shown(progress: b.Progress, state: b.State) -> str:
    """What the status message shows, as a key: an unchanged one is not edited again."""
    return (f"{state.value}:{progress.sent}:{progress.unreachable}:{progress.failed}:"
            f"{progress.skipped}:{progress.remaining}")


def status(reader: Reader, place: str, broadcast: b.Broadcast, progress: b.Progress,
           now: datetime, zone: ZoneInfo, quiet: QuietHours | None, rate: float) -> \
        outbox.Message:
    """The status message: figures while it runs, with a cancel button; the last edit
    says how it ended."""
    lines = [say(reader, _("📢 <b>Announcement {number}</b> to {place}"),
                         number=f"#{broadcast.id}", place=place)]
    lines.append(say(reader, _("Sent: {sent} of {total}"), sent=str(progress.sent),
                             total=str(progress.total)))
    lines.append(say(reader, _("Blocked the bot: {blocked} · failed: {failed} · not sent "
                               "(they paused messages, or it was cancelled): {skipped}"),
                             blocked=str(progress.unreachable), failed=str(progress.failed),
                             skipped=str(progress.skipped)))
    keyboard: tuple[tuple[Button, ...], ...] = ()
    match broadcast.state:
        case b.State.DONE:
            lines.append(reader.gettext("✅ Finished."))
        case b.State.CANCELLED:
            lines.append(reader.gettext("✖️ Cancelled: nothing more is sent."))
        case _:
            end = t.estimated_end(progress.remaining, rate, now, quiet, zone, broadcast.urgent)
            lines.append(say(reader, _("Remaining: {remaining} · expected to end around "
                                       "{time}"), remaining=str(progress.remaining),
                                     time=moment(reader, end, now, zone)))
            if quiet is not None and not broadcast.urgent:
                local = now.astimezone(zone)
                if (allowed := quiet.next_allowed(local)) != local:
                    lines.append(say(reader, _("Quiet hours: it goes on at {time}."),
                                             time=moment(reader, allowed, now, zone)))
            keyboard = ((Button(reader.gettext("✖️ Cancel this announcement"),
                                f"{SCOPE}:cancel:{broadcast.id}"),),)
    return reader.readable(outbox.Message("\n".join(lines), keyboard))


def report(reader: Reader, place: str, broadcast: b.Broadcast, progress: b.Progress,
           now: datetime) -> outbox.Message:
    """The final report, a message of its own (the edited status message does not ring)."""
    minutes = max(1, round((now - (broadcast.started_at or now)).total_seconds() / 60))
    if broadcast.state is b.State.CANCELLED:
        head = say(reader, _("✖️ Announcement {number} to {place} was cancelled."),
                           number=f"#{broadcast.id}", place=place)
    else:
        head = say(reader, _("✅ Announcement {number} to {place} is finished, in {minutes} "
                             "min."), number=f"#{broadcast.id}", place=place,
                           minutes=str(minutes))
    lines = [head, say(reader, _("Sent: {sent} · blocked the bot: {blocked} · failed: "
                                 "{failed} · not sent (they paused messages, or it was "
                                 "cancelled): {skipped}"),
                               sent=str(progress.sent), blocked=str(progress.unreachable),
                               failed=str(progress.failed), skipped=str(progress.skipped))]
    if progress.failed:
        lines.append(reader.gettext("Failed messages are listed in /queue."))
    return reader.readable(outbox.Message("\n".join(lines)))


def moment(reader: Reader, when: datetime, now: datetime, zone: ZoneInfo) -> str:
    """'14:05', or '8 December 09:00' when it is not today."""
    local, today = when.astimezone(zone), now.astimezone(zone).date()
    clock = local.strftime("%H:%M")
    if local.date() == today:
        return clock
    return f"{dates.day_month_year(reader.language, local.date())} {clock}"
