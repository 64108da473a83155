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
)


def by_table() -> dict[str, Declaration]:
    return {d.table: d for d in DECLARATIONS}


def personal() -> list[Personal]:
    return [d for d in DECLARATIONS if isinstance(d, Personal)]
