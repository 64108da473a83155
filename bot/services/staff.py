"""What the services of sleutelpersonen and coordinators share: who holds which role,
the audit log, refusals, and the names of roles and municipalities in the reader's language.

Every staff action is checked here, on the server, inside the unit of work of the update:
callback data only names what the person asks for, never what they may do. A refusal
changes nothing, is answered in the person's language, and is written to the audit log.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from bot.content.knowledge import Knowledge
from bot.domain import audit, languages
from bot.domain.bidi import isolate, protect_ltr_runs
from bot.domain.person import Role, RoleGrant
from bot.domain.replies import Outcome, Reply, escape
from bot.services.ports import UnitOfWorkFactory
from bot.services.turn import Turn

Gettext = Callable[[str], str]
# Invitations are kept this long after they expire (who invited whom), then removed.
INVITATION_RETENTION = timedelta(days=90)


def _(message: str) -> str:
    """Mark a string for extraction; it is translated where it is shown."""
    return message


ROLE_NAMES: dict[Role, str] = {
    Role.COORDINATOR: _("coordinator"),
    Role.SLEUTELPERSOON: _("sleutelpersoon"),
}
# The commands each role has, as shown by /whoami and after an invitation is accepted.
ROLE_COMMANDS: dict[Role, str] = {
    Role.COORDINATOR: _("As a coordinator: /invite invites a person, /roles shows and ends "
                        "roles, /audit shows what was done and refused, /queue shows the "
                        "questions waiting for a person, /checkins shows how the check-ins "
                        "after begeleiding go and who was not reached, /broadcast sends an "
                        "announcement to everyone in their own language."),
    Role.SLEUTELPERSOON: _("As a sleutelpersoon: /profile shows and changes what newcomers "
                           "see about you and when you can help; /conversations lists the "
                           "questions you answer, /answer sends a topic to a newcomer, "
                           "/begeleiding notes when their begeleiding ends. Coordinators may "
                           "ask you to write an announcement in your language."),
}
# What came later, said after the above.
ROLE_MORE: dict[Role, str] = {
    Role.COORDINATOR: _("Events: /attendance shows who is coming and which calendar feeds "
                        "fail, /newevent creates an event."),
    Role.SLEUTELPERSOON: _("They may also ask you to write an event's text in your "
                           "language."),
}


# The review of the bot's own translations (issue 12), said after the above.
ROLE_REVIEW: dict[Role, str] = {
    Role.COORDINATOR: _("/leads appoints language leads, whose review alone makes a "
                        "translation of the bot reviewed."),
    Role.SLEUTELPERSOON: _("/review lets you check the bot's texts in your language."),
}


def role_commands(gettext: Gettext, role: Role) -> str:
    """What a role can do, in the reader's language."""
    return " ".join(gettext(texts[role]) for texts in (ROLE_COMMANDS, ROLE_MORE, ROLE_REVIEW))


# How /audit names what was done and why it was refused, in the reader's language.
ACT_LABELS: dict[audit.Act, str] = {
    audit.Act.INVITATION_CREATE: _("invitation created"),
    audit.Act.INVITATION_OPEN: _("invitation opened"),
    audit.Act.INVITATION_ACCEPT: _("invitation accepted"),
    audit.Act.INVITATION_DECLINE: _("invitation declined"),
    audit.Act.INVITATION_REVOKE: _("invitation withdrawn"),
    audit.Act.ROLE_GRANT: _("role granted"),
    audit.Act.ROLE_REVOKE: _("role ended"),
    audit.Act.ROLES_LIST: _("roles listed"),
    audit.Act.AUDIT_READ: _("audit log read"),
    audit.Act.PROFILE: _("profile"),
    audit.Act.BUTTON: _("button"),
    audit.Act.HANDOFF_CLAIM: _("question taken"),
    audit.Act.HANDOFF_CLOSE: _("conversation closed"),
    audit.Act.HANDOFF_RELEASE: _("question released"),
    audit.Act.HANDOFF_TRANSFER: _("conversation transferred"),
    audit.Act.HANDOFF_MESSAGE: _("conversation"),
    audit.Act.QUEUE_READ: _("queue read"),
    audit.Act.REPORT: _("activity report"),
    audit.Act.CHECKINS_READ: _("check-ins read"),
    audit.Act.REACH_OUT: _("asked someone to reach out"),
    audit.Act.END_MONTH: _("begeleiding end noted"),
    audit.Act.BROADCAST: _("announcement"),
    audit.Act.BROADCAST_VERSION: _("announcement version"),
    audit.Act.EVENTS_READ: _("events overview read"),
    audit.Act.EVENT_CANCEL: _("event date cancelled"),
    audit.Act.EVENT_CREATE: _("event created"),
    audit.Act.EVENT_VERSION: _("event translation"),
    audit.Act.CATALOG_REVIEW: _("review of translations"),
    audit.Act.LANGUAGE_LEAD: _("language lead"),
}
REASON_LABELS: dict[audit.Reason, str] = {
    audit.Reason.NO_ROLE: _("no role for this"),
    audit.Reason.OTHER_MUNICIPALITY: _("another municipality"),
    audit.Reason.FORGED: _("unknown or forged"),
    audit.Reason.UNKNOWN_TARGET: _("no longer exists"),
    audit.Reason.EXPIRED: _("expired"),
    audit.Reason.TAKEN: _("already used"),
    audit.Reason.REVOKED: _("withdrawn"),
    audit.Reason.OWN: _("their own"),
    audit.Reason.STALE: _("an old button"),
    audit.Reason.NOT_ELIGIBLE: _("not eligible"),
    audit.Reason.NOT_YOURS: _("someone else's"),
}


def role_name(turn: Turn, role: Role) -> str:
    return turn.gettext(ROLE_NAMES[role])


def municipality_name(knowledge: Knowledge, municipality_id: str) -> str:
    found = knowledge.municipality(municipality_id)
    return found.name if found else municipality_id


def role_in(gettext: Gettext, knowledge: Knowledge, role: Role, municipality: str) -> str:
    """'sleutelpersoon in Leiden' (plain text: escape it where it is placed)."""
    return gettext("{role} in {place}").format(
        role=gettext(ROLE_NAMES[role]), place=municipality_name(knowledge, municipality))


def fill_for(language: str, template: str, /, **values: str) -> str:
    """Turn.fill for a reader other than the caller (a message through the outbox)."""
    rtl = languages.is_rtl(language)
    filled = template.format(**{k: isolate(escape(v)) if rtl else escape(v)
                                for k, v in values.items()})
    return protect_ltr_runs(filled) if rtl else filled


async def grants(turn: Turn, role: Role | None = None) -> list[RoleGrant]:
    """The caller's roles, read in this update's unit of work."""
    found = await turn.uow.roles.of(turn.person.telegram_id)
    return [g for g in found if role is None or g.role is role]


async def where(turn: Turn, role: Role) -> list[str]:
    """The municipalities where the caller has `role`, in a stable order."""
    return sorted({g.municipality for g in await grants(turn, role)})


async def record(turn: Turn, action: audit.Act, *, allowed: bool, target: str = "",
                 municipality: str | None = None, reason: audit.Reason | None = None) -> None:
    await turn.uow.audit.add(audit.Entry(turn.now, turn.person.telegram_id, action, allowed,
                                         target, municipality, reason))


async def refuse(turn: Turn, action: audit.Act, reason: audit.Reason, text: str, *,
                 target: str = "", municipality: str | None = None) -> Outcome:
    """Say no in the person's language, change nothing, and write it down: under the
    municipality the attempt aimed at, else under none, which only the operator reads
    (`wegwijs audit`). Never under the caller's home: that would show a newcomer's
    Telegram id and where they live to that municipality's coordinators."""
    await record(turn, action, allowed=False, target=target, municipality=municipality,
                 reason=reason)
    return Outcome([Reply(text)], notice=text)


def no_role(turn: Turn, role: Role) -> str:
    _ = turn.gettext
    if role is Role.COORDINATOR:
        return _("Only coordinators can do this. Nothing was changed.")
    return _("Only sleutelpersonen can do this. Nothing was changed.")


def other_municipality(turn: Turn) -> str:
    return turn.gettext("You are not a coordinator for this municipality. Nothing was changed.")


class Access:
    """A quick look at someone's roles outside a turn (Telegram's router filters use it;
    each service checks again inside its own unit of work)."""

    def __init__(self, uow_factory: UnitOfWorkFactory) -> None:
        self._uow = uow_factory

    async def has_role(self, telegram_id: int, role: Role) -> bool:
        async with self._uow() as uow:
            return any(g.role is role for g in await uow.roles.of(telegram_id))



async def purge_records(uow_factory: UnitOfWorkFactory, now: datetime) -> tuple[int, int]:
    """Retention: invitations INVITATION_RETENTION after they expired, audit entries after
    audit.RETENTION. (Removed, old invitations, audit entries.)"""
    async with uow_factory() as uow:
        invitations = await uow.invitations.purge(now - INVITATION_RETENTION)
        entries = await uow.audit.purge(now - audit.RETENTION)
        await uow.commit()
    return invitations, entries
