"""What every table holds about people, and how /mydata, /delete and retention treat it.

Every table in bot.storage.models must be declared here; tests/unit/test_personal_data.py
fails on a table that is not, and checks on a real database that /delete erases and /mydata
exports what is declared. Adding a table means deciding this, not forgetting it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class PersonKey(StrEnum):
    """What the linking column holds."""

    PEOPLE_ID = "people.id"  # our own id of the person (a foreign key, or people.id itself)
    TELEGRAM_ID = "telegram_id"  # their Telegram user id: for rows that may exist before them
    CHAT_ID = "chat_id"  # people.chat_id: for rows addressed to their chat (outgoing messages)


class Retention(StrEnum):
    """How long rows stay when the person does not send /delete."""

    # Kept while the person uses Wegwijs; someone who never agreed to the privacy notice is
    # forgotten after privacy.UNCONSENTED_RETENTION (privacy.purge_unconsented).
    PERSON = "person"
    # Goes whenever the person's row goes: /delete and the retention purge alike.
    WITH_PERSON = "with-person"
    # Granted by the operator, not the person: kept until `wegwijs roles revoke` or /delete.
    UNTIL_REVOKED = "until-revoked"
    # Kept for a fixed time after the event, whether or not the person still uses Wegwijs,
    # then removed by the retention tick; the period is named in the declaration's comment.
    FIXED_PERIOD = "fixed-period"


@dataclass(frozen=True)
class Personal:
    """A table with rows about one person each."""

    table: str
    column: str  # the column that names the person
    key: PersonKey
    mydata: str  # the top-level key of the /mydata export that holds these rows
    retention: Retention
    # /delete erases everything, unless a duty to keep it (say, hours a sleutelpersoon is
    # paid for) outweighs; then say which in kept_because.
    erased_by_delete: bool = True
    kept_because: str = ""
    # Further columns that can name the person (e.g. who used an invitation); /delete
    # empties them too, or says in kept_because why not.
    other_columns: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.erased_by_delete and not self.kept_because:
            raise ValueError(f"{self.table}: say in kept_because why /delete keeps it")


@dataclass(frozen=True)
class NotPersonal:
    """A table that holds nothing about a person, and why that is so."""

    table: str
    reason: str


Declaration = Personal | NotPersonal

DECLARATIONS: tuple[Declaration, ...] = (
    Personal("people", "id", PersonKey.PEOPLE_ID, "person", Retention.PERSON),
    Personal("conversations", "person_id", PersonKey.PEOPLE_ID, "conversation",
             Retention.WITH_PERSON),
    Personal("roles", "telegram_id", PersonKey.TELEGRAM_ID, "roles", Retention.UNTIL_REVOKED),
    # Messages waiting to be sent to the person; an ended row keeps no content, and its
    # bookkeeping goes after services.outbox.ENDED_RETENTION.
    Personal("outbox", "recipient_id", PersonKey.PEOPLE_ID, "messages_to_you",
             Retention.WITH_PERSON),
    # Invitations a coordinator created, and (used_by) the one a person used. /delete removes
    # those they created and empties used_by (the invitation stays used); all go
    # services.staff.INVITATION_RETENTION after they expire.
    Personal("invitations", "created_by", PersonKey.TELEGRAM_ID, "invitations",
             Retention.FIXED_PERIOD, other_columns=("used_by",)),
    # What a sleutelpersoon tells about themselves; goes when their last sleutelpersoon
    # role is revoked, or with /delete.
    Personal("sleutelpersoon_profiles", "telegram_id", PersonKey.TELEGRAM_ID,
             "sleutelpersoon_profile", Retention.UNTIL_REVOKED),
    # A newcomer's questions to a person. When the person goes (/delete, retention) the
    # open ones end, and the link to them and the content (first message, path, comment,
    # shared name) are emptied: the rest stays as an anonymous count. The content of ended
    # questions also goes handoff.CONTENT_RETENTION (90 days) after the end. `helper_id`
    # names the sleutelpersoon who answered; their /delete empties it.
    Personal("handoffs", "newcomer_id", PersonKey.PEOPLE_ID, "questions_to_a_person",
             Retention.WITH_PERSON, other_columns=("helper_id",)),
    # Which relayed message is which in the other chat (ids only, no content): removed
    # handoff.CONTENT_RETENTION after the conversation ended, and by either side's /delete.
    Personal("relay_messages", "source_chat_id", PersonKey.CHAT_ID, "relayed_messages",
             Retention.FIXED_PERIOD, other_columns=("copy_chat_id",)),
    # A sleutelpersoon's current conversation (which one their messages go to): part of
    # the role, so it goes with /delete or when the role ends.
    Personal("helper_state", "telegram_id", PersonKey.TELEGRAM_ID, "relay_focus",
             Retention.UNTIL_REVOKED),
    # The messages planned after begeleiding (check-ins, issue 9): step, due time, and
    # the answer given; goes with the person.
    Personal("checkin_plans", "person_id", PersonKey.PEOPLE_ID, "check_ins",
             Retention.WITH_PERSON),
    # Who changed roles and invitations, and which staff actions were refused: ids only.
    # Kept audit.RETENTION (180 days), then removed by the retention tick.
    Personal("audit_log", "telegram_id", PersonKey.TELEGRAM_ID, "audit",
             Retention.FIXED_PERIOD, erased_by_delete=False,
             kept_because="a security record that coordinators and the operator rely on: "
                          "erasing it on request would let anyone wipe the traces of what "
                          "they tried. It holds ids, actions and times, never message "
                          "content, and is removed after 180 days (bot.domain.audit.RETENTION)."),
    # Broadcasts a coordinator wrote (issue 10): the municipality's announcements, so
    # /delete empties only who wrote them; removed broadcast.RETENTION after they ended.
    Personal("broadcasts", "author_telegram_id", PersonKey.TELEGRAM_ID, "broadcasts_written",
             Retention.FIXED_PERIOD),
    # The versions per language, who wrote and who approved each; they go with their
    # broadcast, and /delete empties both names.
    Personal("broadcast_versions", "author_telegram_id", PersonKey.TELEGRAM_ID,
             "broadcast_versions_written", Retention.FIXED_PERIOD,
             other_columns=("reviewer_telegram_id",)),
    # Local events (issue 11): what, when and where, from files, feeds and coordinators.
    NotPersonal("events", "an event's texts, time, venue and organisation; no person."),
    NotPersonal("event_occurrences", "the dates of an event; no person."),
    NotPersonal("event_feeds", "how a municipality's calendar feed fared; no person."),
    # Who said they will go to which date, their reminder and follow-up and the 👍/👎
    # they gave; goes with the person (and with the event's date).
    Personal("event_rsvps", "person_id", PersonKey.PEOPLE_ID, "events_you_said_you_would_go_to",
             Retention.WITH_PERSON),
    # The kinds of events someone asked to hear about on Monday mornings.
    Personal("event_subscriptions", "person_id", PersonKey.PEOPLE_ID,
             "events_you_asked_to_hear_about", Retention.WITH_PERSON),
    NotPersonal("event_digest_runs", "how far one week's Monday digest got: a people id "
                "only as the place to go on from (the outbox rows say who got one)."),
    NotPersonal("translation_cache", "machine translations of texts everyone may see "
                "(broadcasts, events, catalog entries); a conversation's are never stored."),
    # A sleutelpersoon's votes on catalog texts (/review, issue 12): the text they judged,
    # their better text, when. /delete removes their skips and empties telegram_id of the
    # rest: the texts belong to the project's catalog and may already be in locales/ under
    # their pseudonym (the name newcomers see; git keeps what was committed). A vote goes
    # catalog_review.RETENTION (two years) after it was cast.
    Personal("catalog_review_votes", "telegram_id", PersonKey.TELEGRAM_ID,
             "translation_reviews", Retention.FIXED_PERIOD,
             kept_because="after /delete a vote stays without the person (telegram_id "
                          "emptied): its texts are the project's catalog, not about them, "
                          "and an accepted text must not lose the votes that accepted it."),
    # Language leads a coordinator appointed (their vote alone makes a text reviewed): goes
    # when a coordinator ends it, with their last sleutelpersoon role, or /delete; the
    # coordinator's /delete empties appointed_by.
    Personal("catalog_language_leads", "telegram_id", PersonKey.TELEGRAM_ID,
             "language_leads", Retention.UNTIL_REVOKED, other_columns=("appointed_by",)),
    NotPersonal("seasonal_runs", "which season's reminder of which calendar entry went out, "
                "and how far through everyone: a people id only as the place to go on from, "
                "never who received it (the outbox rows say that, and go with the person)."),
)


def by_table() -> dict[str, Declaration]:
    return {d.table: d for d in DECLARATIONS}


def personal() -> list[Personal]:
    return [d for d in DECLARATIONS if isinstance(d, Personal)]
