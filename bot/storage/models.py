"""Tables. Deliberately few columns: Wegwijs stores the minimum (no names, no phone numbers)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    false,
    true,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class PersonRow(Base):
    __tablename__ = "people"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    telegram_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    chat_id: Mapped[int] = mapped_column(BigInteger, index=True)
    language: Mapped[str | None] = mapped_column(String(8))
    municipality: Mapped[str | None] = mapped_column(String(40))
    begeleiding: Mapped[str | None] = mapped_column(String(16))
    begeleiding_end: Mapped[date | None] = mapped_column(Date)
    consented_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    staff_consented_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    paused: Mapped[bool] = mapped_column(Boolean, default=False)
    # Seasonal reminders (tax return, health insurance, ...): a switch in /settings.
    reminders: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    # Coordinators' announcements (broadcasts, issue 10; not offered in /settings yet).
    announcements: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    unreachable_since: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Messages in another language than theirs, counted to ask once whether to switch
    # (bot.domain.language_switch, as JSON); empty: none seen.
    language_watch: Mapped[str] = mapped_column(String(120), default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    # Bumped by every write: a turn saves only if nobody wrote since it read (see SqlPeople).
    version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class ConversationRow(Base):
    __tablename__ = "conversations"

    person_id: Mapped[int] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), primary_key=True
    )
    flow: Mapped[str] = mapped_column(String(32))
    step: Mapped[str] = mapped_column(String(32))
    data: Mapped[str] = mapped_column(Text, default="{}")
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class RoleRow(Base):
    """Roles are granted by Telegram id, possibly before the person has opened the bot."""

    __tablename__ = "roles"
    __table_args__ = (UniqueConstraint("telegram_id", "role", "municipality"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    telegram_id: Mapped[int] = mapped_column(BigInteger, index=True)
    role: Mapped[str] = mapped_column(String(20))
    municipality: Mapped[str] = mapped_column(String(40))
    granted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class OutboxRow(Base):
    """A message to send: to someone other than the person whose update wrote it, or on the
    bot's own initiative (bot.domain.outbox). `body` is emptied once the row has ended."""

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    recipient_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"),
                                              index=True)
    kind: Mapped[str] = mapped_column(String(16))
    proactive: Mapped[bool] = mapped_column(Boolean)
    body: Mapped[str] = mapped_column(Text)
    key: Mapped[str] = mapped_column(String(160), unique=True)  # idempotency
    status: Mapped[str] = mapped_column(String(12), default="pending")
    not_before: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # Taken by a drainer until then; a drainer that died lets it go when it passes.
    claimed_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(String(200))  # Telegram's reason, no content
    # The message it became in the recipient's chat (to edit it later, e.g. "taken").
    sent_message_id: Mapped[int | None] = mapped_column(BigInteger)
    # Not sent from then on (a seasonal reminder whose window has passed): ends as skipped.
    not_after: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # When a drainer began to send a row that goes at most once (bot.domain.outbox).
    sending_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The broadcast a row is part of (its progress is counted by it); no foreign key:
    # SQLite cannot add one to an existing table.
    broadcast_id: Mapped[int | None] = mapped_column(Integer)
    # Sent in quiet hours too (an urgent broadcast); /stop still applies.
    urgent: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (Index("ix_outbox_due", "status", "not_before"),
                      Index("ix_outbox_broadcast_id_status", "broadcast_id", "status"))


class InvitationRow(Base):
    """A one-time invitation to a role. Only the digest of the code in the link is stored."""

    __tablename__ = "invitations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(20))
    municipality: Mapped[str] = mapped_column(String(40), index=True)
    created_by: Mapped[int] = mapped_column(BigInteger, index=True)  # a Telegram id
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_by: Mapped[int | None] = mapped_column(BigInteger, index=True)  # a Telegram id
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    accepted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    declined_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)


class SleutelpersoonProfileRow(Base):
    """bot.domain.sleutelpersoon.Profile; lists are JSON. The interface language is the
    person's own (people.language), not stored twice."""

    __tablename__ = "sleutelpersoon_profiles"

    telegram_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    display_name: Mapped[str] = mapped_column(String(64))
    languages: Mapped[str] = mapped_column(Text)  # ["ti", "ar"]
    municipalities: Mapped[str] = mapped_column(Text)  # ["leiden"]
    topics: Mapped[str] = mapped_column(Text)  # flow ids
    windows: Mapped[str] = mapped_column(Text)  # [[weekday, "HH:MM", "HH:MM"], ...]
    capacity: Mapped[int] = mapped_column(Integer)
    paused: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class AuditRow(Base):
    """Who did what to roles and invitations, and what was refused. Ids only, no content."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    telegram_id: Mapped[int | None] = mapped_column(BigInteger, index=True)  # None: operator
    action: Mapped[str] = mapped_column(String(40))
    target: Mapped[str] = mapped_column(String(80))
    municipality: Mapped[str | None] = mapped_column(String(40))
    allowed: Mapped[bool] = mapped_column(Boolean)
    reason: Mapped[str | None] = mapped_column(String(40))

    __table_args__ = (Index("ix_audit_log_municipality_at", "municipality", "at"),)


class HandoffRow(Base):
    """A newcomer's question to a sleutelpersoon (bot.domain.handoff). The content columns
    (summary, path, comment, shared_name) are emptied 90 days after it ended, and when the
    newcomer deletes their data; the row then stays as an anonymous count."""

    __tablename__ = "handoffs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    newcomer_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), index=True)
    language: Mapped[str] = mapped_column(String(3))
    municipality: Mapped[str] = mapped_column(String(40), index=True)
    pseudonym: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(12))
    source: Mapped[str] = mapped_column(String(12))
    topic: Mapped[str | None] = mapped_column(String(64))
    path: Mapped[str] = mapped_column(Text, default="")
    summary: Mapped[str] = mapped_column(Text, default="")
    first_media: Mapped[str] = mapped_column(String(12))
    helper_id: Mapped[int | None] = mapped_column(BigInteger, index=True)  # a Telegram id
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    result: Mapped[str | None] = mapped_column(String(12))
    rating: Mapped[int | None] = mapped_column(Integer)
    comment: Mapped[str | None] = mapped_column(Text)
    asked: Mapped[str] = mapped_column(Text, default="[]")  # Telegram ids asked to claim
    actions: Mapped[str] = mapped_column(Text, default="[]")  # escalation steps taken
    wake_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    private_media_ok: Mapped[bool] = mapped_column(Boolean, default=False)
    shared_name: Mapped[str | None] = mapped_column(String(32))

    __table_args__ = (Index("ix_handoffs_status_wake_at", "status", "wake_at"),)


class RelayRow(Base):
    """Which relayed message is which on the other side, so reply-to links survive both
    ways. Ids only: the messages themselves stay in the two Telegram chats."""

    __tablename__ = "relay_messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    handoff_id: Mapped[int] = mapped_column(ForeignKey("handoffs.id", ondelete="CASCADE"),
                                            index=True)
    side: Mapped[str] = mapped_column(String(10))
    media: Mapped[str] = mapped_column(String(12))
    source_chat_id: Mapped[int] = mapped_column(BigInteger)
    source_message_id: Mapped[int] = mapped_column(BigInteger)
    copy_chat_id: Mapped[int | None] = mapped_column(BigInteger)
    copy_message_id: Mapped[int | None] = mapped_column(BigInteger)
    outbox_id: Mapped[int | None] = mapped_column(Integer, index=True)  # the copy's row
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # A newcomer's text written before anyone took the question, kept only until it is
    # copied: the one who takes it may read it through machine translation.
    waiting_text: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        Index("ix_relay_messages_source", "source_chat_id", "source_message_id"),
        Index("ix_relay_messages_copy", "copy_chat_id", "copy_message_id"),
    )


class HelperStateRow(Base):
    """Per sleutelpersoon: the conversation their plain messages go to (focus), and the one
    whose header they saw last (a new header is shown when messages switch conversation)."""

    __tablename__ = "helper_state"

    telegram_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    focus_id: Mapped[int | None] = mapped_column(ForeignKey("handoffs.id", ondelete="SET NULL"))
    header_id: Mapped[int | None] = mapped_column(
        ForeignKey("handoffs.id", ondelete="SET NULL"))


class CheckinPlanRow(Base):
    """One planned message after begeleiding (bot.domain.checkins): a row per person and
    step, due at `due_at`; the tick claims due rows (a lease, as the outbox does) and
    renders them into the outbox. Goes with the person."""

    __tablename__ = "checkin_plans"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"),
                                           index=True)
    step: Mapped[str] = mapped_column(String(24))
    kind: Mapped[str] = mapped_column(String(12))
    status: Mapped[str] = mapped_column(String(12))  # planned, sent, skipped
    due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    claimed_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    reminded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    answered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    answer: Mapped[str | None] = mapped_column(String(12))  # good, difficult, help
    area: Mapped[str | None] = mapped_column(String(24))  # letters and money, health, ...
    # A sent check-in without an answer is looked at again then (reminder, "not reached").
    follow_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    not_reached_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The code name coordinators and sleutelpersonen see for someone not reached.
    pseudonym: Mapped[str | None] = mapped_column(String(8))

    __table_args__ = (UniqueConstraint("person_id", "step"),
                      Index("ix_checkin_plans_status_due_at_id", "status", "due_at", "id"),
                      Index("ix_checkin_plans_follow_at", "follow_at"),
                      Index("ix_checkin_plans_not_reached_at", "not_reached_at"),
                      Index("ix_checkin_plans_kind_status_sent_at", "kind", "status",
                            "sent_at"))


class SeasonalRunRow(Base):
    """How far one season's reminder of one calendar entry got through everyone: written
    in batches by the check-in tick, so a restart goes on where it was."""

    __tablename__ = "seasonal_runs"

    entry: Mapped[str] = mapped_column(String(24), primary_key=True)
    season: Mapped[str] = mapped_column(String(8), primary_key=True)  # "2027-04"
    next_person_id: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    done_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class BroadcastRow(Base):
    """A coordinator's broadcast (bot.domain.broadcast): the audience, its state, and how
    far writing its outbox rows got (next_person_id), so a restart goes on where it was."""

    __tablename__ = "broadcasts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    municipality: Mapped[str] = mapped_column(String(40), index=True)
    author_telegram_id: Mapped[int | None] = mapped_column(BigInteger)
    source_language: Mapped[str] = mapped_column(String(8))
    languages: Mapped[str] = mapped_column(String(40), default="", server_default="")
    begeleiding: Mapped[str] = mapped_column(String(12), default="any", server_default="any")
    sleutelpersonen_only: Mapped[bool] = mapped_column(Boolean, default=False,
                                                       server_default=false())
    urgent: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    paid: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    state: Mapped[str] = mapped_column(String(12))
    scheduled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    recipients: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    next_person_id: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    status_chat_id: Mapped[int | None] = mapped_column(BigInteger)
    status_message_id: Mapped[int | None] = mapped_column(BigInteger)
    # A photo or document the coordinator sent with it: copied with each version as caption.
    media_kind: Mapped[str | None] = mapped_column(String(12))
    media_chat_id: Mapped[int | None] = mapped_column(BigInteger)
    media_message_id: Mapped[int | None] = mapped_column(BigInteger)
    written_all: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The figures the status message shows, and when it was last edited (one per 3 s).
    status_edited_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    status_shown: Mapped[str] = mapped_column(String(80), default="", server_default="")
    status_edits: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Recipients per language when confirmed ("ar=120,en=30"): which languages must be ready.
    counts: Mapped[str] = mapped_column(String(80), default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (Index("ix_broadcasts_state", "state"),)


class BroadcastVersionRow(Base):
    """One language's text of a broadcast, who wrote it and who approved it."""

    __tablename__ = "broadcast_versions"

    broadcast_id: Mapped[int] = mapped_column(
        ForeignKey("broadcasts.id", ondelete="CASCADE"), primary_key=True)
    language: Mapped[str] = mapped_column(String(8), primary_key=True)
    text: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(20))
    fallback: Mapped[str] = mapped_column(String(8), default="wait", server_default="wait")
    author_telegram_id: Mapped[int | None] = mapped_column(BigInteger)
    reviewer_telegram_id: Mapped[int | None] = mapped_column(BigInteger)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class EventRow(Base):
    """A local event (bot.domain.events): from a file, a feed or a coordinator. Its texts
    per language are JSON ({"ar": {"title": ...}, ...}); no person is named here."""

    __tablename__ = "events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    municipality: Mapped[str] = mapped_column(String(40))
    source: Mapped[str] = mapped_column(String(8))  # file, demo, feed, bot
    feed: Mapped[str] = mapped_column(String(24), default="", server_default="")
    uid: Mapped[str] = mapped_column(String(255))
    category: Mapped[str] = mapped_column(String(24))
    audience: Mapped[str] = mapped_column(String(12))
    texts: Mapped[str] = mapped_column(Text)
    drafts: Mapped[str] = mapped_column(String(40), default="", server_default="")
    languages: Mapped[str] = mapped_column(String(40), default="", server_default="")
    venue_name: Mapped[str | None] = mapped_column(String(200))
    venue_address: Mapped[str | None] = mapped_column(String(200))
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    organiser: Mapped[str | None] = mapped_column(String(24))
    capacity: Mapped[int | None] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (UniqueConstraint("municipality", "source", "feed", "uid"),
                      Index("ix_events_municipality_source_feed", "municipality", "source",
                            "feed"))


class EventOccurrenceRow(Base):
    """One date of an event; RSVPs are per occurrence. `/events` lists by start."""

    __tablename__ = "event_occurrences"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(24))  # its original start, 20270113T130000Z
    municipality: Mapped[str] = mapped_column(String(40))  # the event's, for the listing
    category: Mapped[str] = mapped_column(String(24))  # the event's, for the listing
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ends_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    all_day: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # All day or longer than half a day: may still be on after it started (the listing).
    spans: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    cancelled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))  # by people
    # No longer in its file or feed (back when it reappears; a cancellation stays).
    gone_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (UniqueConstraint("event_id", "key"),
                      Index("ix_event_occurrences_municipality_starts_at", "municipality",
                            "starts_at"),
                      Index("ix_event_occurrences_municipality_spans_starts_at",
                            "municipality", "spans", "starts_at"),
                      Index("ix_event_occurrences_event_id_starts_at", "event_id",
                            "starts_at"))


class EventRsvpRow(Base):
    """Someone said they will go to one occurrence (or wait for a place). The reminder and
    the follow-up are due at reminder_at / follow_up_at; the events tick marks them sent.
    Goes with the person."""

    __tablename__ = "event_rsvps"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    occurrence_id: Mapped[int] = mapped_column(
        ForeignKey("event_occurrences.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"),
                                           index=True)
    state: Mapped[str] = mapped_column(String(12))  # going, waiting, cancelled
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    reminder_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    reminded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    follow_up_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    followed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    feedback: Mapped[int | None] = mapped_column(Integer)  # 1 or -1

    __table_args__ = (UniqueConstraint("occurrence_id", "person_id"),
                      Index("ix_event_rsvps_reminder_at", "reminder_at"),
                      Index("ix_event_rsvps_follow_up_at", "follow_up_at"))


class EventFeedRow(Base):
    """How a municipality's iCalendar feed fared: the last good read is kept in events;
    a feed failing since `failing_since` is shown to coordinators, told once."""

    __tablename__ = "event_feeds"

    municipality: Mapped[str] = mapped_column(String(40), primary_key=True)
    feed: Mapped[str] = mapped_column(String(24), primary_key=True)
    read_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    ok_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    failing_since: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    error: Mapped[str | None] = mapped_column(String(300))
    reported_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    events: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    skipped: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # The last good read's bytes (sha256): the same feed again on the same day is not
    # stored again (SQLite's one writer lock is not held for nothing).
    digest: Mapped[str | None] = mapped_column(String(64))


class EventSubscriptionRow(Base):
    """Someone asked to hear about events of a kind: a digest on Monday morning, never a
    message per event. Goes with the person."""

    __tablename__ = "event_subscriptions"

    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"),
                                           primary_key=True)
    category: Mapped[str] = mapped_column(String(24), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class EventDigestRunRow(Base):
    """How far one week's Monday digest got through the subscribers (a restart goes on)."""

    __tablename__ = "event_digest_runs"

    week: Mapped[date] = mapped_column(Date, primary_key=True)  # its Monday
    next_person_id: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    done_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class TranslationCacheRow(Base):
    """A machine translation of a text everyone may see (a broadcast, an event, a catalog
    entry), by the model that made it. Conversations' translations are kept in memory only."""

    __tablename__ = "translation_cache"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256 of all below
    source: Mapped[str] = mapped_column(String(8))
    target: Mapped[str] = mapped_column(String(8))
    model: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)
    used_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


class CatalogReviewVoteRow(Base):
    """A sleutelpersoon's vote on one catalog text (issue 12, bot.domain.catalog_review):
    correct, improved (with the better text) or skipped. One per person and entry. /delete
    empties telegram_id (the vote still counts, for nobody); `wegwijs i18n apply-reviews`
    sets applied_at when it wrote the entry's accepted text into locales/."""

    __tablename__ = "catalog_review_votes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    language: Mapped[str] = mapped_column(String(8))
    entry_key: Mapped[str] = mapped_column(String(16))  # catalog_review.entry_key
    context: Mapped[str] = mapped_column(Text)
    msgid: Mapped[str] = mapped_column(Text)
    telegram_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    verdict: Mapped[str] = mapped_column(String(10))
    judged: Mapped[str] = mapped_column(Text)  # the text they were shown
    proposed: Mapped[str | None] = mapped_column(Text)  # an improved vote's text
    by_lead: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    voted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    applied_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (UniqueConstraint("language", "entry_key", "telegram_id"),
                      Index("ix_catalog_review_votes_language_applied_at", "language",
                            "applied_at"))


class CatalogLanguageLeadRow(Base):
    """A sleutelpersoon a coordinator appointed as the lead of a language: their vote alone
    makes a catalog text reviewed. Goes when a coordinator ends it, with their last
    sleutelpersoon role, or with /delete."""

    __tablename__ = "catalog_language_leads"

    telegram_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    language: Mapped[str] = mapped_column(String(8), primary_key=True)
    appointed_by: Mapped[int | None] = mapped_column(BigInteger)
    appointed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
