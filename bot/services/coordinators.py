"""What coordinators do in the bot: /invite (one-time links), /roles (see and end the roles
of their municipalities, withdraw invitations) and /audit (recent actions, allowed and
refused). Each command and button is checked against the caller's roles and the target's
municipality inside the update's unit of work, whatever the callback data claims.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.content.knowledge import Knowledge
from bot.domain import actions, audit, outbox
from bot.domain.invitation import Invitation
from bot.domain.person import Role, RoleGrant
from bot.domain.replies import Button, Outcome, Reply, rows
from bot.services import dates, staff
from bot.services.invitations import InvitationService
from bot.services.invitations import target as invitation_target
from bot.services.roles import end_role, role_target
from bot.services.turn import Turn, button

SCOPE = "c"
AUDIT_LINES = 20
# Button names: invite a sleutelpersoon / a coordinator (value: municipality), end a role
# (ask, then yes; value: role id), withdraw an invitation (value: invitation id), the list.
_INVITE = {"isp": Role.SLEUTELPERSOON, "ico": Role.COORDINATOR}
_COMMAND_ACTS = {"invite": audit.Act.INVITATION_CREATE, "roles": audit.Act.ROLES_LIST,
                 "audit": audit.Act.AUDIT_READ}


class CoordinatorService:
    def __init__(self, knowledge: Knowledge, invitations: InvitationService,
                 zone: ZoneInfo) -> None:
        self._knowledge = knowledge
        self._invitations = invitations
        self._zone = zone

    # -- inside a turn (the Desk opens it) ------------------------------------------------

    async def on_command(self, turn: Turn, name: str, args: str = "") -> Outcome:
        act = _COMMAND_ACTS.get(name, audit.Act.BUTTON)
        mine = await staff.where(turn, Role.COORDINATOR)
        if not mine:
            return await staff.refuse(turn, act, audit.Reason.NO_ROLE,
                                      staff.no_role(turn, Role.COORDINATOR), target=f"/{name}")
        if name == "invite":
            return self._invite_menu(turn, mine)
        if name == "roles":
            return await self._roles(turn, mine)
        return await self._audit(turn, mine)

    async def on_button(self, turn: Turn, data: str) -> Outcome:
        action = actions.parse(data)
        mine = await staff.where(turn, Role.COORDINATOR)
        act, what, place, grant = await self._target(turn, action)
        if not mine:
            return await staff.refuse(turn, act, audit.Reason.NO_ROLE,
                                      staff.no_role(turn, Role.COORDINATOR),
                                      target=what or data[:40], municipality=place)
        if action is None or act is audit.Act.BUTTON:
            return await staff.refuse(turn, act, audit.Reason.FORGED,
                                      turn.gettext("I do not recognise this button."),
                                      target=data[:40], municipality=place)
        if action.name == "list":
            return await self._roles(turn, mine)
        if place is None:
            return await staff.refuse(turn, act, audit.Reason.UNKNOWN_TARGET, turn.gettext(
                "This role or invitation no longer exists. Nothing was changed."),
                target=what)
        if place not in mine:
            return await staff.refuse(turn, act, audit.Reason.OTHER_MUNICIPALITY,
                                      staff.other_municipality(turn), target=what,
                                      municipality=place)
        if action.name in _INVITE:
            return await self._create(turn, _INVITE[action.name], place)
        if action.name == "ri":
            return await self._withdraw(turn, _ref(action.value)[0], place, mine)
        assert grant is not None
        if action.name == "rv":
            return self._confirm_end(turn, grant)
        return await self._end(turn, grant)

    async def _target(self, turn: Turn, action: actions.Action | None
                      ) -> tuple[audit.Act, str, str | None, RoleGrant | None]:
        """What a button asks for: (the act, the target's ids, its municipality, the role).
        The municipality is looked up, never taken from the button for existing things."""
        if action is None:
            return audit.Act.BUTTON, "", None, None
        if action.name in _INVITE and action.value in self._knowledge.municipality_ids():
            return (audit.Act.INVITATION_CREATE, f"invitation {_INVITE[action.name].value}",
                    action.value, None)
        if action.name == "list" and not action.value:
            return audit.Act.ROLES_LIST, "", None, None
        row_id, check = _ref(action.value)
        if action.name in ("rv", "rvy") and row_id:
            grant = await turn.uow.roles.get(row_id)
            what = f"role:{row_id}"
            if grant is None or grant.telegram_id != check:  # gone, or its id reused since
                return audit.Act.ROLE_REVOKE, what, None, None
            return (audit.Act.ROLE_REVOKE, role_target(grant.telegram_id, grant.role, grant.id),
                    grant.municipality, grant)
        if action.name == "ri" and row_id:
            invitation = await turn.uow.invitations.get(row_id)
            if invitation is None or _stamp(invitation.created_at) != check:
                return audit.Act.INVITATION_REVOKE, f"invitation:{row_id}", None, None
            return (audit.Act.INVITATION_REVOKE, invitation_target(invitation),
                    invitation.municipality, None)
        return audit.Act.BUTTON, "", None, None

    # -- /invite ------------------------------------------------------------------------

    def _invite_menu(self, turn: Turn, mine: list[str]) -> Outcome:
        _ = turn.gettext
        buttons = [button(staff.role_in(_, self._knowledge, role, place), SCOPE, name, place)
                   for place in mine for name, role in _INVITE.items()]
        return Outcome([Reply(_(
            "<b>Invite a person</b>\nChoose the role. You get a link for one person: it "
            "works once, for 7 days."), rows(buttons, 1))])

    async def _create(self, turn: Turn, role: Role, place: str) -> Outcome:
        _ = turn.gettext
        invitation, link = await self._invitations.create(turn, role, place)
        text = turn.fill(_(
            "Here is a one-time invitation: {what}. Send it to one person only. It works "
            "once, until {date}."), what=staff.role_in(_, self._knowledge, role, place),
            date=self._invitations.valid_until(turn, invitation))
        return Outcome([Reply(f"{text}\n\n{turn.value(link)}", rows([button(
            _("Withdraw this invitation"), SCOPE, "ri", invitation_ref(invitation))], 1))])

    # -- /roles -------------------------------------------------------------------------

    async def _roles(self, turn: Turn, mine: list[str], note: str | None = None) -> Outcome:
        _ = turn.gettext
        replies = [Reply(note)] if note else []
        for place in mine:
            grants = await turn.uow.roles.in_municipality(place)
            pending = await turn.uow.invitations.pending_in(place, turn.now)
            lines = [turn.fill(_("<b>Roles in {place}</b>"),
                               place=staff.municipality_name(self._knowledge, place))]
            buttons: list[Button] = []
            for grant in grants:
                who = await self._who(turn, grant.telegram_id)
                since = dates.day_month_year(turn.language,
                                             grant.granted_at.astimezone(self._zone).date())
                lines.append(turn.fill(_("• {role}: {who}, since {date}"),
                                       role=staff.role_name(turn, grant.role), who=who,
                                       date=since))
                buttons.append(button(f"✖ {who} ({staff.role_name(turn, grant.role)})",
                                      SCOPE, "rv", role_ref(grant)))
            if pending:
                lines += ["", _("<b>Invitations not yet accepted</b>")]
            for invitation in pending:
                until = self._invitations.valid_until(turn, invitation)
                lines.append(turn.fill(
                    _("• {role}, valid until {date} (opened, not finished)")
                    if invitation.used_at else _("• {role}, valid until {date}"),
                    role=staff.role_name(turn, invitation.role), date=until))
                buttons.append(button(f"✖ {staff.role_name(turn, invitation.role)} – {until}",
                                      SCOPE, "ri", invitation_ref(invitation)))
            if buttons:
                lines += ["", _("Tap ✖ to end a role or to withdraw an invitation.")]
            replies.append(Reply("\n".join(lines), rows(buttons, 1)))
        return Outcome(replies)

    async def _who(self, turn: Turn, telegram_id: int) -> str:
        """A display name and the Telegram number, or the number alone (plain text)."""
        profile = await turn.uow.profiles.get(telegram_id)
        return f"{profile.display_name} · {telegram_id}" if profile else str(telegram_id)

    def _confirm_end(self, turn: Turn, grant: RoleGrant) -> Outcome:
        _ = turn.gettext
        return Outcome([Reply(
            turn.fill(_("End this role: {what}, of Telegram user {who}?"),
                      what=staff.role_in(_, self._knowledge, grant.role, grant.municipality),
                      who=str(grant.telegram_id)),
            rows([button(_("Yes, end this role"), SCOPE, "rvy", role_ref(grant)),
                  button(_("No, keep it"), SCOPE, "list")], 1))])

    async def _end(self, turn: Turn, grant: RoleGrant) -> Outcome:
        if not await end_role(turn.uow, grant, turn.now):  # another coordinator was first
            return await staff.refuse(
                turn, audit.Act.ROLE_REVOKE, audit.Reason.UNKNOWN_TARGET, turn.gettext(
                    "This role or invitation no longer exists. Nothing was changed."),
                target=role_target(grant.telegram_id, grant.role, grant.id),
                municipality=grant.municipality)
        await staff.record(turn, audit.Act.ROLE_REVOKE, allowed=True,
                           target=role_target(grant.telegram_id, grant.role, grant.id),
                           municipality=grant.municipality)
        await self._tell_person(turn, grant)
        mine = await staff.where(turn, Role.COORDINATOR)  # they may have ended their own
        note = turn.gettext("Done: the role has been ended.")
        return await self._roles(turn, mine, note) if mine else Outcome([Reply(note)])

    async def _tell_person(self, turn: Turn, grant: RoleGrant) -> None:
        person = await turn.uow.people.by_telegram_id(grant.telegram_id)
        if person is None or person.id == turn.person.id:
            return
        language = person.language or "en"
        gettext = turn.catalogs.translator(language).gettext
        text = staff.fill_for(language, gettext("A coordinator ended your role: {what}."),
                              what=staff.role_in(gettext, self._knowledge, grant.role,
                                                 grant.municipality))
        await turn.uow.outbox.add(outbox.Outgoing(
            person.id, outbox.Kind.NOTIFICATION, outbox.Message(text),
            f"role-ended:{grant.id}:{turn.now.isoformat()}"), turn.now)

    async def _withdraw(self, turn: Turn, invitation_id: int, place: str,
                        mine: list[str]) -> Outcome:
        invitation = await turn.uow.invitations.get(invitation_id)
        assert invitation is not None
        if not await turn.uow.invitations.revoke(invitation_id):
            return await self._roles(turn, mine, turn.gettext(
                "This invitation was already used or withdrawn. Nothing was changed."))
        await staff.record(turn, audit.Act.INVITATION_REVOKE, allowed=True,
                           target=invitation_target(invitation), municipality=place)
        return await self._roles(turn, mine, turn.gettext(
            "Done: the invitation was withdrawn. The link no longer works."))

    # -- /audit -------------------------------------------------------------------------

    async def _audit(self, turn: Turn, mine: list[str]) -> Outcome:
        _ = turn.gettext
        entries = await turn.uow.audit.recent(mine, AUDIT_LINES)
        lines = [_("<b>Recent actions</b>\n✅ allowed, ⛔ refused")]
        if not entries:
            lines.append(_("Nothing has been recorded yet."))
        for entry in entries:
            local = entry.at.astimezone(self._zone)
            who = str(entry.telegram_id) if entry.telegram_id is not None else _("operator")
            parts = [f"{local:%Y-%m-%d %H:%M}", "✅" if entry.allowed else "⛔", who,
                     _(staff.ACT_LABELS[entry.action]), entry.target,
                     f"({_(staff.REASON_LABELS[entry.reason])})" if entry.reason else "",
                     entry.municipality or ""]
            lines.append(turn.value(" ".join(p for p in parts if p)))
        return Outcome([Reply("\n".join(lines))])


# Buttons name a role or an invitation by its row id and something only that row has (the
# person's Telegram id; the invitation's creation time): SQLite may give a deleted row's id
# to a new row, and an old button must never act on the new one.


def role_ref(grant: RoleGrant) -> str:
    return f"{grant.id}-{grant.telegram_id}"


def invitation_ref(invitation: Invitation) -> str:
    return f"{invitation.id}-{_stamp(invitation.created_at)}"


def _stamp(moment: datetime) -> int:
    return int(moment.timestamp())


def _ref(value: str) -> tuple[int, int]:
    """(row id, check) from a button value; (0, 0), which names no row, when malformed."""
    row_id, _, check = value.partition("-")
    if not (row_id.isdigit() and check.isdigit()):
        return 0, 0
    return int(row_id), int(check)
