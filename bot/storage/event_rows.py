"""Rows of the events tables as bot.domain.events values, and back."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from sqlalchemy import case, func

from bot.domain import events as ev
from bot.storage.models import EventFeedRow, EventOccurrenceRow, EventRow, EventRsvpRow
from bot.storage.repositories import _utc

SPANS = timedelta(hours=12)  # longer (or all day): may still be on after it started


def event_of(row: EventRow) -> ev.Event:
    texts = {lang: ev.Texts(**fields) for lang, fields in json.loads(row.texts).items()}
    venue = ev.Venue(row.venue_name, row.venue_address or "", row.latitude, row.longitude) \
        if row.venue_name else None
    return ev.Event(row.id, row.municipality, ev.Source(row.source), row.uid,
                    ev.Category(row.category), ev.EventAudience(row.audience), texts,
                    frozenset(c for c in row.drafts.split(",") if c),
                    tuple(c for c in row.languages.split(",") if c), venue, row.organiser,
                    row.capacity, row.feed)


def columns_of(event: ev.Event, now: datetime) -> dict[str, object]:
    venue = event.venue
    return {
        "category": event.category.value, "audience": event.audience.value,
        "texts": json.dumps({lang: vars(t) for lang, t in sorted(event.texts.items())},
                            ensure_ascii=False, sort_keys=True),
        "drafts": ",".join(sorted(event.drafts)), "languages": ",".join(event.languages),
        "venue_name": venue.name if venue else None,
        "venue_address": (venue.address or None) if venue else None,
        "latitude": venue.latitude if venue else None,
        "longitude": venue.longitude if venue else None,
        "organiser": event.organiser, "capacity": event.capacity, "updated_at": now}


def occurrence_of(row: EventOccurrenceRow, event: ev.Event, going: int = 0,
                waiting: int = 0) -> ev.Occurrence:
    return ev.Occurrence(row.id, event, _utc(row.starts_at) or row.starts_at,
                         _utc(row.ends_at) or row.ends_at, row.all_day,
                         row.cancelled_at is not None or row.gone_at is not None, going,
                         waiting)


def spans(dated: ev.Dated) -> bool:
    return dated.all_day or dated.end - dated.start > SPANS


def rsvp_of(row: EventRsvpRow) -> ev.Rsvp:
    return ev.Rsvp(row.id, row.occurrence_id, row.person_id, ev.RsvpState(row.state),
                   _utc(row.created_at) or row.created_at, _utc(row.reminder_at),
                   _utc(row.reminded_at), _utc(row.follow_up_at), _utc(row.followed_at),
                   row.feedback)


def feed_of(row: EventFeedRow) -> ev.FeedState:
    return ev.FeedState(row.municipality, row.feed, _utc(row.read_at), _utc(row.ok_at),
                        _utc(row.failing_since), row.error, _utc(row.reported_at), row.events,
                        row.skipped, row.digest)


GOING = func.sum(case((EventRsvpRow.state == ev.RsvpState.GOING.value, 1), else_=0))
WAITING = func.sum(case((EventRsvpRow.state == ev.RsvpState.WAITING.value, 1), else_=0))
