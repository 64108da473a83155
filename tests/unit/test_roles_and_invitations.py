"""Roles and invitations over the in-memory store: one-time links, the invited person's
questions, /whoami, /profile, /roles, /audit, and refusals that change nothing and are
audited (forged, expired, used and withdrawn codes; other municipalities; no role)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from fakes.clock import FixedClock
from memory_store import MemoryStore

from bot.content.catalogs import BabelCatalogs
from bot.content.knowledge import Knowledge
from bot.domain import audit, availability, invitation
from bot.domain.availability import Part
from bot.domain.bidi import strip_controls
from bot.domain.incoming import Caller
from bot.domain.person import Role, RoleGrant
from bot.domain.replies import Outcome, plain_text
from bot.services.chat import ChatService
from bot.services.coordinators import invitation_ref, role_ref
from bot.services.desk import Desk
from bot.services.privacy import purge_unconsented

COORDINATOR = Caller(100, 100, "en")
INVITED = Caller(200, 200, "en")
STRANGER = Caller(300, 300, "nl")
DELFT_COORDINATOR = Caller(400, 400, "en")


def data_of(outcome: Outcome) -> list[str]:
    return [b.data for r in outcome.replies for row in r.keyboard for b in row]


def text_of(outcome: Outcome) -> str:
    return "\n".join(plain_text(r.text) for r in outcome.replies)


@pytest.fixture
def desk(chat: ChatService, knowledge: Knowledge, store: MemoryStore,
         clock: FixedClock) -> Desk:
    store.state.roles += [RoleGrant(COORDINATOR.telegram_id, Role.COORDINATOR, "leiden",
                                    clock.now, 1),
                          RoleGrant(DELFT_COORDINATOR.telegram_id, Role.COORDINATOR, "delft",
                                    clock.now, 2)]
    store.state.next_id = 10
    built = Desk(chat, knowledge)
    built.set_bot_username("wegwijs_test_bot")
    return built


async def invite(desk: Desk, role: str = "isp", caller: Caller = COORDINATOR,
                 place: str = "leiden") -> str:
    """A coordinator creates an invitation; returns the code in its link."""
    menu = await desk.command(caller, "invite")
    assert f"c:{role}:{place}" in data_of(menu)
    created = await desk.button(caller, f"c:{role}:{place}")
    link = text_of(created).split("https://t.me/wegwijs_test_bot?start=")[1].split()[0]
    return link


async def answer_profile(desk: Desk, who: Caller = INVITED) -> Outcome:
    """From the name question to the end of an invited sleutelpersoon's questions."""
    await desk.text(who, "  Amal   H. ")
    await desk.text(who, "ku, ps")  # typed codes are added
    for press in ("i:spk:ti", "i:spk:ar", "i:done:spk", "i:top:digid", "i:top:debts",
                  "i:done:top", "i:hrs:day", "i:day:0e", "i:day:5m", "i:done:day"):
        await desk.button(who, press)
    return await desk.button(who, "i:cap:2")


def audited(store: MemoryStore, *, allowed: bool) -> list[audit.Entry]:
    return [e for e in store.state.audit if e.allowed is allowed]


# -- a coordinator invites a sleutelpersoon ----------------------------------------------


async def test_an_invited_sleutelpersoon_answers_the_profile_and_gets_the_role(
        desk: Desk, store: MemoryStore, clock: FixedClock) -> None:
    code = await invite(desk)
    [(stored_hash, stored)] = store.state.invitations.values()
    assert stored_hash == invitation.digest(code) and code not in stored_hash
    assert stored.expires_at == clock.now + timedelta(days=7)
    assert (stored.role, stored.municipality, stored.created_by) == (
        Role.SLEUTELPERSOON, "leiden", COORDINATOR.telegram_id)

    picker = await desk.command(INVITED, "start", code)
    assert data_of(picker) == ["i:lang:ar", "i:lang:ti", "i:lang:en", "i:lang:nl"]
    welcome = await desk.button(INVITED, "i:lang:en")
    assert "sleutelpersoon" in text_of(welcome) and "Leiden" in text_of(welcome)
    assert "/mydata" in text_of(welcome) and data_of(welcome) == ["i:ok:yes", "i:ok:no"]
    name = await desk.button(INVITED, "i:ok:yes")
    assert "Which name should newcomers see?" in text_of(name)
    assert not store.state.roles[2:], "no role before the questions are answered"

    done = await answer_profile(desk)
    assert "Your new role: sleutelpersoon in Leiden." in text_of(done)
    assert "/profile" in text_of(done)
    assert RoleGrant(INVITED.telegram_id, Role.SLEUTELPERSOON, "leiden", clock.now) \
        in store.state.roles
    profile = store.state.profiles[INVITED.telegram_id]
    assert profile.display_name == "Amal H."
    assert profile.languages == {"ku", "ps", "ti", "ar"}
    assert profile.municipalities == {"leiden"} and profile.topics == {"digid", "debts"}
    assert [(w.weekday, w.start.hour, w.end.hour) for w in profile.windows] == [
        (0, 17, 21), (5, 9, 12)]
    assert profile.capacity == 2 and not profile.paused
    [(_hash, used)] = store.state.invitations.values()
    assert used.used_by == INVITED.telegram_id and used.accepted_at == clock.now
    person = next(p for p in store.state.people.values()
                  if p.telegram_id == INVITED.telegram_id)
    # Agreeing to the role's notice is not agreeing to the newcomer notice: /menu asks it.
    assert person.staff_consented_at == clock.now and person.consented_at is None
    assert person.language == "en"
    # The coordinator hears about it through the outbox, in their language.
    [note] = store.state.outbox
    assert note.message.message.text == \
        "Your invitation was accepted by Amal H.: sleutelpersoon in Leiden."
    actions = [(e.action, e.allowed) for e in store.state.audit]
    assert actions == [(audit.Act.INVITATION_CREATE, True), (audit.Act.INVITATION_OPEN, True),
                       (audit.Act.INVITATION_ACCEPT, True)]

    whoami = await desk.command(INVITED, "whoami")
    assert "• sleutelpersoon in Leiden, since 24 November 2026" in text_of(whoami)
    assert "/profile" in text_of(whoami) and "/invite" not in text_of(whoami)
    newcomer_side = await desk.command(INVITED, "menu")
    assert "Do you agree to this?" in text_of(newcomer_side)
    # Staff consent keeps the person: the retention purge forgets only who agreed to nothing.
    clock.now += timedelta(days=30)
    await purge_unconsented(store, clock.now)
    assert any(p.telegram_id == INVITED.telegram_id for p in store.state.people.values())


async def test_an_invited_coordinator_only_confirms(desk: Desk, store: MemoryStore) -> None:
    code = await invite(desk, "ico")
    await desk.command(INVITED, "start", code)
    welcome = await desk.button(INVITED, "i:lang:nl")
    assert "coördinator" in text_of(welcome)
    done = await desk.button(INVITED, "i:ok:yes")
    assert "/invite" in text_of(done) and "coördinator in Leiden" in text_of(done)
    assert any(g.telegram_id == INVITED.telegram_id and g.role is Role.COORDINATOR
               for g in store.state.roles)
    assert INVITED.telegram_id not in store.state.profiles


async def test_declining_grants_nothing_and_uses_up_the_link(
        desk: Desk, store: MemoryStore) -> None:
    code = await invite(desk)
    await desk.command(INVITED, "start", code)
    await desk.button(INVITED, "i:lang:en")
    declined = await desk.button(INVITED, "i:ok:no")
    assert "Nothing was granted" in text_of(declined)
    assert [g.telegram_id for g in store.state.roles] == [100, 400]
    [told] = [e.message.message.text for e in store.state.outbox
              if e.message.key.startswith("invitation-declined:")]
    assert told.startswith("Your invitation was declined: sleutelpersoon in Leiden.")
    again = await desk.command(STRANGER, "start", code)
    assert "al gebruikt" in text_of(again)  # Dutch: the stranger's language


async def test_a_person_who_stops_half_way_continues_where_they_were(desk: Desk) -> None:
    code = await invite(desk)
    await desk.command(INVITED, "start", code)
    await desk.button(INVITED, "i:lang:en")
    await desk.button(INVITED, "i:ok:yes")
    await desk.text(INVITED, "Amal")
    menu = await desk.command(INVITED, "menu")  # wanders off
    assert "i:spk:ti" not in data_of(menu)
    back = await desk.command(INVITED, "start", code)  # the same link again
    assert "Welcome" in text_of(back)  # the draft is gone: from the welcome again
    await desk.button(INVITED, "i:ok:yes")
    done = await answer_profile(desk)
    assert "Your new role" in text_of(done)


# -- codes that grant nothing ----------------------------------------------------------


@pytest.mark.parametrize("code", ["nonsense!", "x" * 65, "<script>", ""])
async def test_a_start_parameter_that_is_no_code_starts_onboarding(
        desk: Desk, store: MemoryStore, code: str) -> None:
    """Links from elsewhere (t.me/bot?start=flyer) are a plain /start, not an attack."""
    await invite(desk)
    answer = await desk.command(STRANGER, "start", code)
    assert "Kies je taal." in text_of(answer)
    assert not audited(store, allowed=False)


@pytest.mark.parametrize("code", ["A" * 24, "Zz9_-" * 4])
async def test_a_forged_code_is_refused_and_audited(desk: Desk, store: MemoryStore,
                                                    code: str) -> None:
    await invite(desk)
    answer = await desk.command(STRANGER, "start", code)
    assert text_of(answer) == ("Deze uitnodigingslink is niet geldig. Vraag je coördinator "
                               "om een nieuwe link.")
    [refused] = audited(store, allowed=False)
    assert (refused.action, refused.reason) == (audit.Act.INVITATION_OPEN, audit.Reason.FORGED)
    assert refused.telegram_id == STRANGER.telegram_id
    assert [g.telegram_id for g in store.state.roles] == [100, 400]


async def test_an_expired_code_is_refused(desk: Desk, store: MemoryStore,
                                          clock: FixedClock) -> None:
    code = await invite(desk)
    clock.now += invitation.LIFETIME + timedelta(seconds=1)
    answer = await desk.command(INVITED, "start", code)
    assert "This invitation has expired." in text_of(answer)
    [refused] = audited(store, allowed=False)
    assert (refused.reason, refused.municipality) == (audit.Reason.EXPIRED, "leiden")
    [(_hash, stored)] = store.state.invitations.values()
    assert stored.used_by is None


async def test_a_used_code_is_refused_for_anyone_else(desk: Desk, store: MemoryStore) -> None:
    code = await invite(desk)
    await desk.command(INVITED, "start", code)  # taken at once, before any question
    answer = await desk.command(STRANGER, "start", code)
    assert "Deze uitnodiging is al gebruikt." in text_of(answer)
    assert audited(store, allowed=False)[0].reason is audit.Reason.TAKEN
    # The one who took it goes on as if nothing happened.
    await desk.button(INVITED, "i:lang:en")
    await desk.button(INVITED, "i:ok:yes")
    assert "Your new role" in text_of(await answer_profile(desk))
    after = await desk.command(INVITED, "start", code)
    assert "already been used" in text_of(after)


async def test_a_withdrawn_code_is_refused_even_half_way(desk: Desk,
                                                         store: MemoryStore) -> None:
    code = await invite(desk)
    await desk.command(INVITED, "start", code)
    await desk.button(INVITED, "i:lang:en")
    await desk.button(INVITED, "i:ok:yes")
    [inv_id] = store.state.invitations
    listed = await desk.command(COORDINATOR, "roles")
    ref = invitation_ref(store.state.invitations[inv_id][1])
    assert "opened, not finished" in text_of(listed) and f"c:ri:{ref}" in data_of(listed)
    withdrawn = await desk.button(COORDINATOR, f"c:ri:{ref}")
    assert "The link no longer works." in text_of(withdrawn)
    answer = await desk.text(INVITED, "Amal")
    assert "This invitation was withdrawn." in text_of(answer)
    assert not any(g.telegram_id == INVITED.telegram_id for g in store.state.roles)
    assert INVITED.telegram_id not in store.state.profiles
    again = await desk.command(INVITED, "start", code)
    assert "withdrawn" in text_of(again)


async def test_opening_your_own_link_does_not_use_it(desk: Desk, store: MemoryStore) -> None:
    code = await invite(desk)
    answer = await desk.command(COORDINATOR, "start", code)
    assert "This is your own invitation." in text_of(answer)
    [(_hash, stored)] = store.state.invitations.values()
    assert stored.used_at is None
    picker = await desk.command(INVITED, "start", code)  # still works for someone else
    assert data_of(picker)[0] == "i:lang:ar"


async def test_someone_with_the_role_already_leaves_the_link_unused(
        desk: Desk, store: MemoryStore) -> None:
    code = await invite(desk, "ico")
    store.state.roles.append(RoleGrant(INVITED.telegram_id, Role.COORDINATOR, "leiden",
                                       store.state.roles[0].granted_at, 77))
    answer = await desk.command(INVITED, "start", code)
    assert "You already have this role: coordinator in Leiden." in text_of(answer)
    [(_hash, stored)] = store.state.invitations.values()
    assert stored.used_at is None


async def test_a_stale_invitation_button_outside_the_questions_changes_nothing(
        desk: Desk, store: MemoryStore) -> None:
    answer = await desk.button(STRANGER, "i:ok:yes")
    assert answer.notice == "Deze knop hoort bij een ouder bericht."
    assert not store.state.roles[2:]


# -- coordinators: scope and refusals -----------------------------------------------------


async def test_coordinator_buttons_from_a_newcomer_are_refused_and_audited(
        desk: Desk, store: MemoryStore) -> None:
    await desk.command(STRANGER, "start")
    for data in ("c:isp:leiden", "c:ico:leiden", "c:rvy:1-100", "c:rv:1-100", "c:ri:5-0", "c:list",
                 "c:zz:1", "c:isp:atlantis"):
        answer = await desk.button(STRANGER, data)
        assert text_of(answer).startswith("Alleen coördinatoren kunnen dit doen."), data
        assert answer.notice is not None
    for command in ("invite", "roles", "audit"):
        answer = await desk.command(STRANGER, command)
        assert "Alleen coördinatoren" in text_of(answer)
    assert [g.telegram_id for g in store.state.roles] == [100, 400]
    assert not store.state.invitations
    refused = audited(store, allowed=False)
    assert len(refused) == 11 and all(e.reason is audit.Reason.NO_ROLE for e in refused)
    assert all(e.telegram_id == STRANGER.telegram_id for e in refused)
    # Filed under the municipality the button aims at, so its coordinators can read it.
    by_data = {e.target: e.municipality for e in refused}
    assert by_data["role:1 person:100 coordinator"] == "leiden"
    # A command aims at no municipality: filed under none (the operator's `wegwijs audit`),
    # never under where the stranger lives, which Leiden's coordinators would then see.
    commands = [e.municipality for e in refused if e.target.startswith(("/", "c:"))]
    assert commands == [None] * 6


async def test_a_coordinator_cannot_act_in_another_municipality(
        desk: Desk, store: MemoryStore) -> None:
    answer = await desk.button(COORDINATOR, "c:isp:delft")
    assert text_of(answer) == ("You are not a coordinator for this municipality. "
                               "Nothing was changed.")
    answer = await desk.button(COORDINATOR, "c:rvy:2-400")  # the Delft coordinator's role
    assert "not a coordinator for this municipality" in text_of(answer)
    code = await invite(desk, caller=DELFT_COORDINATOR, place="delft")
    [inv_id] = store.state.invitations
    answer = await desk.button(COORDINATOR,
                               f"c:ri:{invitation_ref(store.state.invitations[inv_id][1])}")
    assert "not a coordinator for this municipality" in text_of(answer)
    assert [g.telegram_id for g in store.state.roles] == [100, 400]
    assert store.state.invitations[inv_id][1].pending
    refused = audited(store, allowed=False)
    assert [(e.reason, e.municipality) for e in refused] == \
        [(audit.Reason.OTHER_MUNICIPALITY, "delft")] * 3
    # Delft's coordinators read these attempts; Leiden's do not.
    delft = text_of(await desk.command(DELFT_COORDINATOR, "audit"))
    assert delft.count("⛔ 100") == 3 and "(another municipality)" in delft
    leiden = text_of(await desk.command(COORDINATOR, "audit"))
    assert "⛔" not in leiden.split("refused", 1)[1]
    assert code


async def test_a_coordinator_ends_a_role_after_confirming(
        desk: Desk, store: MemoryStore, catalogs: BabelCatalogs) -> None:
    code = await invite(desk)
    await desk.command(INVITED, "start", code)
    await desk.button(INVITED, "i:lang:ar")
    await desk.button(INVITED, "i:ok:yes")
    await answer_profile(desk)
    [grant] = [g for g in store.state.roles if g.telegram_id == INVITED.telegram_id]
    listed = await desk.command(COORDINATOR, "roles")
    assert "sleutelpersoon: Amal H. · 200" in text_of(listed)
    ask = await desk.button(COORDINATOR, f"c:rv:{role_ref(grant)}")
    assert data_of(ask) == [f"c:rvy:{role_ref(grant)}", "c:list"]
    assert grant in store.state.roles  # asking changes nothing
    # A button whose row id now names someone else (SQLite reuses a deleted row's id)
    # acts on nobody.
    stale = await desk.button(COORDINATOR, f"c:rvy:{grant.id}-999")
    assert "no longer exists" in text_of(stale) and grant in store.state.roles
    done = await desk.button(COORDINATOR, f"c:rvy:{role_ref(grant)}")
    assert "Done: the role has been ended." in text_of(done)
    assert grant not in store.state.roles
    assert INVITED.telegram_id not in store.state.profiles  # their last sleutelpersoon role
    told = store.state.outbox[-1]
    assert told.message.message.text.startswith("أنهى أحد المنسّقين دورك")  # Arabic reader
    assert audited(store, allowed=True)[-1].action is audit.Act.ROLE_REVOKE
    again = await desk.button(COORDINATOR, f"c:rvy:{role_ref(grant)}")  # a replay
    assert "no longer exists" in text_of(again)
    whoami = await desk.command(INVITED, "whoami")
    no_role = catalogs.translator("ar").gettext(
        "You have no role: you use Wegwijs like every newcomer.")
    assert strip_controls(no_role) in strip_controls(text_of(whoami))


async def test_audit_lists_recent_entries_newest_first(desk: Desk, store: MemoryStore,
                                                       clock: FixedClock) -> None:
    empty = await desk.command(COORDINATOR, "audit")
    assert "Nothing has been recorded yet." in text_of(empty)
    await invite(desk)
    clock.now += timedelta(minutes=5)
    await desk.button(STRANGER, "c:isp:leiden")
    lines = text_of(await desk.command(COORDINATOR, "audit")).splitlines()
    assert lines[2].startswith("2026-11-24 11:05 ⛔ 300 invitation created")
    assert lines[3].startswith("2026-11-24 11:00 ✅ 100 invitation created invitation:")


# -- /whoami and /profile ---------------------------------------------------------------


async def test_whoami_for_a_newcomer_and_a_coordinator(desk: Desk) -> None:
    newcomer = text_of(await desk.command(STRANGER, "whoami"))
    assert "Je hebt geen rol" in newcomer and "300" in newcomer
    coordinator = text_of(await desk.command(COORDINATOR, "whoami"))
    assert "coordinator in Leiden, since 24 November 2026" in coordinator
    assert "/invite" in coordinator and "/audit" in coordinator


async def test_profile_is_for_sleutelpersonen_only(desk: Desk, store: MemoryStore) -> None:
    answer = await desk.command(STRANGER, "profile")
    assert "Alleen sleutelpersonen kunnen dit doen." in text_of(answer)
    answer = await desk.button(STRANGER, "p:pause:on")
    assert "Alleen sleutelpersonen" in text_of(answer)
    assert [e.action for e in audited(store, allowed=False)] == [audit.Act.PROFILE] * 2


async def test_an_operator_appointed_sleutelpersoon_sets_up_and_edits_the_profile(
        desk: Desk, store: MemoryStore, clock: FixedClock) -> None:
    store.state.roles.append(RoleGrant(INVITED.telegram_id, Role.SLEUTELPERSOON, "leiden",
                                       clock.now, 50))
    setup = await desk.command(INVITED, "profile")
    assert "You have no profile yet." in text_of(setup)
    await desk.text(INVITED, "Bo")
    await desk.button(INVITED, "p:spk:so")
    await desk.button(INVITED, "p:done:spk")
    await desk.button(INVITED, "p:done:top")
    await desk.button(INVITED, "p:hrs:office")
    shown = await desk.button(INVITED, "p:cap:4")
    assert "Name newcomers see: Bo" in text_of(shown)
    assert "Available: Weekdays 9:00–17:00" in text_of(shown)
    assert store.state.profiles[INVITED.telegram_id].municipalities == {"leiden"}

    await desk.button(INVITED, "p:open:name")
    too_long = await desk.text(INVITED, "x" * 40)
    assert "Please type a name of 1 to 32 characters." in text_of(too_long)
    await desk.text(INVITED, "Bo <b>")
    assert store.state.profiles[INVITED.telegram_id].display_name == "Bo <b>"
    assert "Bo &lt;b&gt;" in (await desk.command(INVITED, "profile")).replies[0].text

    paused = await desk.button(INVITED, "p:pause:on")
    assert "New questions: paused" in text_of(paused) and "p:pause:off" in data_of(paused)
    assert store.state.profiles[INVITED.telegram_id].paused

    await desk.button(INVITED, "p:open:spk")
    unknown = await desk.text(INVITED, "xq")
    assert "I do not know the language code xq." in text_of(unknown)
    await desk.button(INVITED, "p:spk:so")  # off again: nothing left
    empty = await desk.button(INVITED, "p:done:spk")
    assert "Please choose at least one." in text_of(empty)
    await desk.button(INVITED, "p:spk:am")
    await desk.button(INVITED, "p:done:spk")
    assert store.state.profiles[INVITED.telegram_id].languages == {"am"}

    await desk.button(INVITED, "p:open:hrs")
    await desk.button(INVITED, "p:hrs:day")
    grid = await desk.button(INVITED, "p:day:2a")  # from the weekdays: Wednesday morning only
    labels = [b.label for r in grid.replies for row in r.keyboard for b in row]
    assert "✓ Wed 9–12" in labels and "Wed 12–17" in labels and "Sat 9–12" in labels
    await desk.button(INVITED, "p:day:5e")
    shown = await desk.button(INVITED, "p:done:day")
    assert "Available: Mon 9–12, 12–17; Tue 9–12, 12–17; Wed 9–12; " in text_of(shown)
    assert text_of(shown).split("Available: ")[1].split("\n")[0].endswith("Sat 17–21")
    slots = availability.slots(store.state.profiles[INVITED.telegram_id].windows)
    assert len(slots) == 10 and (5, Part.EVENING) in slots and (2, Part.AFTERNOON) not in slots


async def test_a_sleutelpersoon_cannot_serve_a_municipality_without_the_role(
        desk: Desk, store: MemoryStore, clock: FixedClock) -> None:
    store.state.roles.append(RoleGrant(INVITED.telegram_id, Role.SLEUTELPERSOON, "leiden",
                                       clock.now, 50))
    await desk.command(INVITED, "profile")
    await desk.text(INVITED, "Bo")
    for press in ("p:spk:so", "p:done:spk", "p:done:top", "p:hrs:any", "p:cap:1"):
        await desk.button(INVITED, press)
    opened = await desk.button(INVITED, "p:open:mun")
    assert data_of(opened)[:2] == ["p:mun:leiden", "p:done:mun"]  # only theirs
    refused = await desk.button(INVITED, "p:mun:delft")
    assert "You are not a sleutelpersoon for this municipality." in text_of(refused)
    assert store.state.profiles[INVITED.telegram_id].municipalities == {"leiden"}
    [entry] = audited(store, allowed=False)
    assert (entry.reason, entry.municipality) == (audit.Reason.OTHER_MUNICIPALITY, "delft")


async def test_the_cli_grant_and_revoke_are_audited_and_the_profile_follows_the_roles(
        desk: Desk, store: MemoryStore, knowledge: Knowledge, clock: FixedClock) -> None:
    from bot.services.roles import RolesService

    roles = RolesService(store, knowledge, clock)
    assert await roles.grant(INVITED.telegram_id, Role.SLEUTELPERSOON, "leiden")
    assert await roles.grant(INVITED.telegram_id, Role.SLEUTELPERSOON, "delft")
    await desk.command(INVITED, "profile")
    await desk.text(INVITED, "Bo")
    for press in ("p:spk:so", "p:done:spk", "p:done:top", "p:hrs:any", "p:cap:1"):
        await desk.button(INVITED, press)
    assert store.state.profiles[INVITED.telegram_id].municipalities == {"leiden", "delft"}
    assert await roles.revoke(INVITED.telegram_id, Role.SLEUTELPERSOON, "delft")
    assert store.state.profiles[INVITED.telegram_id].municipalities == {"leiden"}
    assert await roles.revoke(INVITED.telegram_id, Role.SLEUTELPERSOON, "leiden")
    assert INVITED.telegram_id not in store.state.profiles
    operator = [e for e in store.state.audit if e.telegram_id is None]
    assert [e.action for e in operator] == [audit.Act.ROLE_GRANT] * 2 + \
        [audit.Act.ROLE_REVOKE] * 2


async def test_delete_erases_profile_and_invitations_but_keeps_the_audit_log(
        desk: Desk, store: MemoryStore) -> None:
    code = await invite(desk)
    await desk.command(INVITED, "start", code)
    await desk.button(INVITED, "i:lang:en")
    await desk.button(INVITED, "i:ok:yes")
    await answer_profile(desk)
    await invite(desk)  # a second one, still open
    await desk.command(INVITED, "delete")
    await desk.button(INVITED, "d:yes")
    assert INVITED.telegram_id not in store.state.profiles
    [(_h, used)] = [v for v in store.state.invitations.values() if v[1].used_at]
    assert used.used_by is None and used.accepted_at is not None  # still used, unnamed
    await desk.command(COORDINATOR, "delete")
    await desk.button(COORDINATOR, "d:yes")
    assert store.state.invitations == {}  # what they created goes with them
    assert any(e.telegram_id == COORDINATOR.telegram_id for e in store.state.audit)


async def test_mydata_of_a_sleutelpersoon_holds_profile_invitation_and_audit(
        desk: Desk, store: MemoryStore) -> None:
    import json

    code = await invite(desk)
    await desk.command(INVITED, "start", code)
    await desk.button(INVITED, "i:lang:en")
    await desk.button(INVITED, "i:ok:yes")
    await answer_profile(desk)
    outcome = await desk.command(INVITED, "mydata")
    [document] = [r.document for r in outcome.replies if r.document]
    exported = json.loads(document.content)
    assert exported["sleutelpersoon_profile"]["display_name"] == "Amal H."
    assert exported["invitations"]["used"][0]["role"] == "sleutelpersoon"
    assert [a["action"] for a in exported["audit"]] == ["invitation.open", "invitation.accept"]
    # What others did that names them is theirs too (without who did it).
    async with store() as uow:
        for target in (f"role:5 person:{INVITED.telegram_id} sleutelpersoon",
                       f"role:6 person:{INVITED.telegram_id}0 sleutelpersoon"):
            await uow.audit.add(audit.Entry(datetime(2026, 11, 25, tzinfo=UTC),
                                            COORDINATOR.telegram_id, audit.Act.ROLE_REVOKE,
                                            True, target, "leiden"))
        await uow.commit()
    outcome = await desk.command(INVITED, "mydata")
    [document] = [r.document for r in outcome.replies if r.document]
    about = json.loads(document.content)["audit_about_you"]
    assert [(a["action"], a["municipality"]) for a in about][-1:] == [("role.revoke", "leiden")]
    assert len([a for a in about if a["action"] == "role.revoke"]) == 1
    assert all("telegram_id" not in a and "target" not in a for a in about)


async def test_the_retention_tick_removes_old_invitations_and_audit_entries(
        desk: Desk, store: MemoryStore, clock: FixedClock) -> None:
    from bot.services.staff import INVITATION_RETENTION, purge_records

    await invite(desk)
    clock.now += invitation.LIFETIME + INVITATION_RETENTION + timedelta(days=1)
    assert await purge_records(store, clock.now) == (1, 0)
    clock.now += audit.RETENTION
    assert await purge_records(store, clock.now) == (0, 1)


def test_invitation_standing() -> None:
    from datetime import UTC, datetime

    now = datetime(2026, 11, 24, tzinfo=UTC)
    fresh = invitation.Invitation(1, Role.SLEUTELPERSOON, "leiden", 7, now,
                                  now + invitation.LIFETIME)
    standing = invitation.standing
    assert standing(fresh, 8, now) is invitation.Standing.OPEN
    assert standing(fresh, 7, now) is invitation.Standing.OWN
    assert standing(fresh, 8, now + invitation.LIFETIME) is invitation.Standing.EXPIRED
    taken = replace(fresh, used_by=8, used_at=now)
    assert standing(taken, 8, now) is invitation.Standing.YOURS
    assert standing(taken, 9, now) is invitation.Standing.TAKEN
    assert standing(replace(taken, accepted_at=now), 8, now) is invitation.Standing.TAKEN
    assert standing(replace(taken, revoked=True), 8, now) is invitation.Standing.REVOKED
    assert invitation.well_formed(invitation.new_code())
    assert not invitation.well_formed("short") and not invitation.well_formed("a b" * 10)


def test_every_audit_action_and_reason_has_a_name_people_read() -> None:
    from bot.domain import audit
    from bot.services import staff

    assert set(staff.ACT_LABELS) == set(audit.Act)
    assert set(staff.REASON_LABELS) == set(audit.Reason)


async def test_staff_who_never_onboarded_get_their_commands_from_menu_and_help(
        desk: Desk) -> None:
    await invite(desk)  # COORDINATOR holds the role; never answered the newcomer questions
    for command in ("menu", "help"):
        shown = text_of(await desk.command(COORDINATOR, command))
        assert "/invite" in shown and "/queue" in shown
