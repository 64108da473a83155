"""A big feed is read in a process of its own (the conversations keep the interpreter);
what the reader cannot read there is a broken feed, never a crash."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar
import pytest

from bot.content.event_feeds import FeedError
from bot.content.knowledge import Knowledge
from bot.services import event_sources
from bot.services.event_notices import EventNotices
from bot.services.event_sources import IN_PROCESS_BYTES, EventSources
from bot.settings import PROJECT_ROOT

ZONE = ZoneInfo("Europe/Amsterdam")
NOW = datetime(2027, 3, 22, 9, tzinfo=UTC)


def big_feed(events: int) -> bytes:
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//test//big//NL")
    calendar.add("version", "2.0")
    for n in range(events):
        item = icalendar.Event()
        item.add("uid", f"event-{n}@test")
        item.add("dtstamp", NOW)
        item.add("dtstart", (NOW + timedelta(hours=n % 500)).astimezone(ZONE))
        item.add("dtend", (NOW + timedelta(hours=n % 500, minutes=90)).astimezone(ZONE))
        item.add("summary", f"Taalcafé nummer {n} in de bibliotheek")
        item.add("description", "Samen Nederlands oefenen met vrijwilligers. " * 3)
        calendar.add_component(item)
    return bytes(calendar.to_ical())


@pytest.fixture
def sources() -> EventSources:
    knowledge = Knowledge.load(PROJECT_ROOT / "knowledge")
    return EventSources(knowledge, None, ZONE,  # type: ignore[arg-type]
                        EventNotices(knowledge, None, ZONE),  # type: ignore[arg-type]
                        Path(PROJECT_ROOT / "knowledge"))


async def test_a_big_feed_is_read_in_a_process_of_its_own(sources: EventSources) -> None:
    content = big_feed(1500)
    assert len(content) > IN_PROCESS_BYTES
    try:
        found = await sources._read(content, NOW)
        assert sources._pool is not None  # not a thread: a process
        assert len(found.occurrences) == 1500 and not found.cut_off
        assert found.occurrences[0].title.startswith("Taalcafé")
    finally:
        sources.close()


async def test_what_the_libraries_cannot_read_is_a_broken_feed(
        sources: EventSources, monkeypatch: pytest.MonkeyPatch) -> None:
    def explode(*_args: object) -> None:
        raise KeyError("a bug deep in a library")

    monkeypatch.setattr(event_sources, "read", explode)
    with pytest.raises(FeedError) as raised:
        await sources._read(b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n", NOW)
    assert raised.value.reason == "cannot-expand"
