"""How an event reads, in the reader's language: its date line, its card, its button label,
and the .ics file a phone's calendar opens. Shared by the screens (bot.services.events)
and the messages through the outbox (bot.services.event_notices)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from bot.content.event_feeds import FeedOccurrence, to_ics
from bot.content.knowledge import Knowledge
from bot.domain import events as ev
from bot.domain.replies import Document, Place
from bot.services import dates
from bot.services.profile_questions import language_name


def _(message: str) -> str:
    """Mark a string for extraction; it is translated for the reader where it is shown."""
    return message


class Writer(Protocol):
    """A Turn (the caller) or a Reader (someone written to through the outbox)."""

    language: str

    def gettext(self, message: str) -> str: ...
    def fill(self, template: str, /, **values: str) -> str: ...


CATEGORY_LABELS: dict[ev.Category, str] = {
    ev.Category.LANGUAGE_CAFE: _("☕ Language café"),
    ev.Category.MEAL: _("🍲 Meal together"),
    ev.Category.CULTURE: _("🎭 Culture"),
    ev.Category.SPORT: _("⚽ Sport"),
    ev.Category.WORK_AND_STUDY: _("💼 Work and study"),
    ev.Category.INFORMATION: _("ℹ️ Information session"),
    ev.Category.FESTIVAL: _("🎉 Festival"),
}
AUDIENCE_LABELS: dict[ev.EventAudience, str] = {
    ev.EventAudience.WOMEN: _("for women"),
    ev.EventAudience.FAMILIES: _("for families with children"),
    ev.EventAudience.YOUTH: _("for young people"),
}
DRAFT_MARK = "✎"  # as catalog drafts are marked: no native speaker reviewed this text yet
TITLE_IN_BUTTON = 34  # characters of a title on a list button


def _comma(writer: Writer) -> str:
    return "، " if writer.language == "ar" else ", "


def title(writer: Writer, event: ev.Event) -> str:
    """The title in the reader's language (else English, else Dutch), plain text."""
    code, texts = event.text_in(writer.language)
    return f"{texts.title} {DRAFT_MARK}" if code in event.drafts else texts.title


def when(writer: Writer, occurrence: ev.Occurrence, zone: ZoneInfo) -> str:
    """'Wednesday 9 December, 14:00–16:00'; an all-day event by its days."""
    start, end = occurrence.start.astimezone(zone), occurrence.end.astimezone(zone)
    day = dates.weekday_day_month(writer.language, start.date())
    if occurrence.all_day:  # from local midnight to the local midnight after its last day
        last = (end - timedelta(seconds=1)).date()
        if last <= start.date():
            return writer.fill(writer.gettext("{day}, all day"), day=day)
        return writer.fill(writer.gettext("{day} to {last}"), day=day,
                           last=dates.weekday_day_month(writer.language, last))
    if end.date() != start.date():
        return writer.fill(writer.gettext("{day} {start} to {last} {end}"), day=day,
                           start=f"{start:%H:%M}",
                           last=dates.weekday_day_month(writer.language, end.date()),
                           end=f"{end:%H:%M}")
    return writer.fill(writer.gettext("{day}, {start}–{end}"), day=day,
                       start=f"{start:%H:%M}", end=f"{end:%H:%M}")


def label(writer: Writer, occurrence: ev.Occurrence, zone: ZoneInfo, going: bool) -> str:
    """A list button: 'Wed 14:00 · Taalcafé' (✅ when the reader goes)."""
    start = occurrence.start.astimezone(zone)
    name = title(writer, occurrence.event)
    if len(name) > TITLE_IN_BUTTON:
        name = name[:TITLE_IN_BUTTON - 1].rstrip() + "…"
    moment = dates.short_weekday(writer.language, start.date())
    if not occurrence.all_day:
        moment += f" {start:%H:%M}"
    return f"{'✅ ' if going else ''}{moment} · {name}"


def card(writer: Writer, occurrence: ev.Occurrence, zone: ZoneInfo, knowledge: Knowledge,
         rsvp: ev.Rsvp | None) -> str:
    """Everything a person needs to decide to go, and to find it."""
    _ = writer.gettext
    event = occurrence.event
    code, texts = event.text_in(writer.language)
    lines = [f"<b>{writer.fill('{t}', t=title(writer, event))}</b>",
             _(CATEGORY_LABELS[event.category])]
    if code != writer.language:
        lines.append(writer.fill(_("(Nobody has translated this event yet; this is the "
                                   "{language} text.)"),
                                 language=language_name(code, writer.language)))
    lines += ["", "🗓 " + when(writer, occurrence, zone)]
    if event.venue is not None:
        where = _comma(writer).join(x for x in (event.venue.name, event.venue.address) if x)
        lines.append("📍 " + writer.fill("{where}", where=where))
    if event.languages:
        lines.append("🗣 " + writer.fill(_("Spoken there: {languages}"), languages=_comma(
            writer).join(language_name(c, writer.language) for c in event.languages)))
    if event.audience in AUDIENCE_LABELS:
        lines.append("👥 " + _(AUDIENCE_LABELS[event.audience]))
    if texts.cost:
        lines.append("💶 " + writer.fill("{cost}", cost=texts.cost))
    if texts.description:
        lines += ["", writer.fill("{d}", d=texts.description)]
    if texts.expect:
        lines += ["", writer.fill(_("<b>What to expect:</b> {text}"), text=texts.expect)]
    if texts.bring:
        lines.append(writer.fill(_("<b>What to bring:</b> {text}"), text=texts.bring))
    organisation = knowledge.organisation(event.organiser) if event.organiser else None
    if organisation is not None:
        lines.append(writer.fill(_("<b>Organised by:</b> {name}"), name=organisation.name))
    lines += ["", places(writer, occurrence, rsvp)]
    return "\n".join(lines)


def places(writer: Writer, occurrence: ev.Occurrence, rsvp: ev.Rsvp | None) -> str:
    """Whether the reader goes, and whether there is room."""
    _ = writer.gettext
    if rsvp is not None and rsvp.state is ev.RsvpState.GOING:
        return _("✅ You said you will go.")
    if rsvp is not None and rsvp.state is ev.RsvpState.WAITING:
        return _("⏳ You are on the waiting list. I will tell you when a place becomes available.")
    capacity = occurrence.event.capacity
    if capacity is None:
        return _("Everyone is welcome; tell us if you will go, and I will remind you.")
    if occurrence.full:
        return _("It is full. You can join the waiting list.")
    return writer.fill(_("Places still available: {left} of {capacity}."),
                       left=str(capacity - occurrence.going), capacity=str(capacity))


def place(writer: Writer, occurrence: ev.Occurrence) -> Place | None:
    venue = occurrence.event.venue
    if venue is None or venue.latitude is None or venue.longitude is None:
        return None
    return Place(venue.latitude, venue.longitude, venue.name, venue.address)


def calendar_file(writer: Writer, occurrence: ev.Occurrence, zone: ZoneInfo,
                  now: datetime) -> Document:
    """The occurrence as an .ics file, in the reader's language."""
    event = occurrence.event
    _code, texts = event.text_in(writer.language)
    venue = event.venue
    location = ", ".join(x for x in (venue.name, venue.address) if x) if venue else ""
    item = FeedOccurrence(f"wegwijs-{event.municipality}-{occurrence.id}", occurrence.start,
                          occurrence.end, occurrence.all_day, texts.title, texts.description,
                          location)
    return Document("wegwijs-event.ics", to_ics(item, zone, now), "text/calendar")
