"""Privacy: the notice, /mydata, /delete, /stop and /resume, and the retention rule."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from bot.domain.catalog_review import Lead
from bot.domain.handoff import Handoff
from bot.domain.invitation import Invitation
from bot.domain.questions import Conversation, Flow, Step
from bot.domain.replies import Document, Outcome, Reply, rows
from bot.domain.sleutelpersoon import Profile
from bot.services import questions
from bot.services.ports import UnitOfWorkFactory
from bot.services.turn import Turn, button

# Someone who opened the bot but never agreed to the privacy notice is forgotten after this.
UNCONSENTED_RETENTION = timedelta(days=7)


def notice(turn: Turn) -> Outcome:
    _ = turn.gettext
    text = "\n\n".join([_("<b>Privacy</b>"), questions.privacy_notice(turn)])
    keyboard = rows([button(_("📄 Download my data"), "m", "mydata"),
                     button(_("🗑 Delete my data"), "m", "delete"),
                     button(_("🏠 Menu"), "m", "menu")], 1)
    return Outcome([Reply(text, keyboard)])


async def export(turn: Turn) -> Outcome:
    """Everything stored about the person, as a JSON file."""
    _ = turn.gettext
    person = turn.person
    roles = await turn.uow.roles.of(person.telegram_id)
    data: dict[str, Any] = {
        "exported_at": turn.now.isoformat(),
        "person": {
            "telegram_id": person.telegram_id,
            "chat_id": person.chat_id,
            "language": person.language,
            "municipality": person.municipality,
            "begeleiding": person.begeleiding.value if person.begeleiding else None,
            "begeleiding_end": person.begeleiding_end.isoformat()
            if person.begeleiding_end else None,
            "consented_at": _iso(person.consented_at),
            "staff_consented_at": _iso(person.staff_consented_at),
            "messages_paused": person.paused,
            "seasonal_reminders": person.reminders,
            "announcements": person.announcements,
            "unreachable_since": _iso(person.unreachable_since),
            "created_at": _iso(person.created_at),
            "last_seen_at": _iso(person.last_seen_at),
        },
        "conversation": _conversation(turn.conversation),
        "roles": [{"role": r.role.value, "municipality": r.municipality,
                   "granted_at": _iso(r.granted_at)} for r in roles],
        # What the bot sends or sent you on its own or from others: content only while
        # it waits to be sent.
        "messages_to_you": [{"kind": m.kind.value, "status": m.status.value,
                             "attempts": m.attempts, "ended_at": _iso(m.ended_at),
                             "text": m.text} for m in await turn.uow.outbox.of(person.id)],
        "sleutelpersoon_profile": _profile(
            await turn.uow.profiles.get(person.telegram_id)),
        "invitations": _invitations(await turn.uow.invitations.of(person.telegram_id),
                                    person.telegram_id),
        # Questions to a person: what was said stays in the Telegram chats; this is what
        # Wegwijs keeps (the first message's text until 90 days after the end).
        "questions_to_a_person": [_question(q) for q in
                                  await turn.uow.handoffs.of_newcomer(person.id)],
        "conversations_answered": [_question(q, helper=True) for q in
                                   await turn.uow.handoffs.claimed_by(person.telegram_id)],
        # Which relayed message is which in the other chat: ids, never content.
        "relayed_messages": [{"conversation": r.handoff_id, "written_by":
                              "you" if r.source_chat_id == person.chat_id else r.side.value,
                              "kind": media.value, "at": _iso(at)}
                             for r, media, at in await turn.uow.handoffs.relayed_in(
                                 person.chat_id)],
        "relay_focus": _focus(await turn.uow.handoffs.focus(person.telegram_id)),
        # Kept after /delete for 180 days: a security record (ids and actions only).
        "audit": [{"at": _iso(e.at), "action": e.action.value, "target": e.target,
                   "municipality": e.municipality, "allowed": e.allowed,
                   "reason": e.reason.value if e.reason else None}
                  for e in await turn.uow.audit.of(person.telegram_id)],
        # Messages planned after your begeleiding ends, and your answers to them.
        "check_ins": [{"step": e.step, "status": e.status.value, "due": _iso(e.due),
                       "sent_at": _iso(e.sent_at), "reminded_at": _iso(e.reminded_at),
                       "answered_at": _iso(e.answered_at), "answer": e.answer,
                       "area": e.area, "not_reached_at": _iso(e.not_reached_at)}
                      for e in await turn.uow.checkins.of(person.id)],
        # Broadcasts you wrote as a coordinator, and versions you wrote or approved.
        "broadcasts_written": [{"id": x.id, "municipality": x.audience.municipality,
                                "state": x.state.value, "created_at": _iso(x.created_at)}
                               for x in await turn.uow.broadcasts.written_by(
                                   person.telegram_id)],
        "broadcast_versions_written": [
            {"broadcast": bid, "language": v.language, "state": v.state.value,
             "wrote": v.author_id == person.telegram_id,
             "approved": v.reviewer_id == person.telegram_id}
            for bid, v in await turn.uow.broadcasts.versions_by(person.telegram_id)],
        # Events you said you would go to (or waited for), and the 👍/👎 you gave.
        "events_you_said_you_would_go_to": [
            {"event": o.event.text_in("en")[1].title, "municipality": o.event.municipality,
             "starts_at": _iso(o.start), "state": r.state.value, "said_at": _iso(r.at),
             "reminded_at": _iso(r.reminded_at), "followed_up_at": _iso(r.followed_at),
             "feedback": r.feedback}
            for r, o in await turn.uow.events.of_person(person.id)],
        "events_you_asked_to_hear_about": [
            c.value for c in await turn.uow.events.subscriptions(person.id)],
        # Your votes on the bot's translations (/review): kept without your name after
        # /delete, since the texts are the project's; and languages you lead, or leads you
        # appointed as a coordinator.
        "translation_reviews": [
            {"language": v.language, "context": v.context, "english": v.msgid,
             "verdict": v.verdict.value, "judged": v.judged, "proposed": v.proposed,
             "as_language_lead": v.by_lead, "at": _iso(v.at),
             "written_into_the_catalog_at": _iso(v.applied_at)}
            for v in await turn.uow.reviews.of(person.telegram_id)],
        "language_leads": _leads(
            [x for x in await turn.uow.reviews.leads() if x.telegram_id == person.telegram_id],
            await turn.uow.reviews.appointed_by(person.telegram_id)),
        # What others (a coordinator, the operator) did that names you: who is left out.
        "audit_about_you": [{"at": _iso(e.at), "action": e.action.value,
                             "municipality": e.municipality, "allowed": e.allowed}
                            for e in await turn.uow.audit.about(person.telegram_id)],
    }
    content = json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8")
    return Outcome([Reply(_("Here is everything Wegwijs stores about you."),
                          document=Document("wegwijs-my-data.json", content))])


def ask_delete(turn: Turn) -> Outcome:
    _ = turn.gettext
    turn.conversation = Conversation(Flow.DELETE, Step.CONFIRM)
    return Outcome([Reply(
        _("Do you really want to delete everything Wegwijs stores about you? "
          "This cannot be undone."),
        rows([button(_("Yes, delete everything"), "d", "yes"),
              button(_("No, keep my data"), "d", "no")], 1))])


def is_confirming(turn: Turn) -> bool:
    conv = turn.conversation
    return conv is not None and conv.flow == Flow.DELETE


async def delete_everything(turn: Turn) -> Outcome:
    _ = turn.gettext
    telegram_id = turn.person.telegram_id
    await turn.uow.roles.delete_all_of(telegram_id)
    await turn.uow.profiles.delete(telegram_id)
    await turn.uow.invitations.forget(telegram_id)
    await turn.uow.broadcasts.forget_person(telegram_id)
    await turn.uow.reviews.forget(telegram_id)  # votes stay, without them (personal_data)
    # The audit log stays (bot.storage.personal_data says why); it goes after 180 days.
    turn.deleted = True
    return Outcome([Reply(_(
        "All your data has been deleted. Take care! If you want to use Wegwijs again, "
        "send /start."))])


def pause(turn: Turn) -> Outcome:
    _ = turn.gettext
    turn.person.paused = True
    return Outcome([Reply(_(
        "Done. The bot will not send you messages on its own any more. It still answers "
        "when you write. Send /resume to turn these messages back on."))])


def resume(turn: Turn) -> Outcome:
    _ = turn.gettext
    turn.person.paused = False
    return Outcome([Reply(_("Messages from the bot are on again."))])


async def purge_unconsented(uow_factory: UnitOfWorkFactory, now: datetime) -> int:
    """Retention: forget people who never agreed to the notice and went quiet. One
    conditional delete, so someone who agrees while this runs is kept. Roles stay: the
    operator granted them, not the person."""
    async with uow_factory() as uow:
        forgotten = await uow.people.forget_unconsented(now - UNCONSENTED_RETENTION)
        await uow.commit()
    return forgotten


def _question(q: Handoff, *, helper: bool = False) -> dict[str, Any]:
    found: dict[str, Any] = {
        "created_at": _iso(q.created_at), "status": q.status.value, "language": q.language,
        "municipality": q.municipality, "topic": q.topic, "code_name": q.pseudonym,
        "claimed_at": _iso(q.claimed_at), "closed_at": _iso(q.closed_at),
        "outcome": q.result.value if q.result else None}
    if not helper:
        found |= {"asked_from": q.source.value, "path": q.path, "first_message": q.summary,
                  "first_name_shared": q.shared_name, "rating": q.rating,
                  "comment": q.comment}
    return found


def _focus(state: tuple[int | None, int | None]) -> dict[str, int | None] | None:
    focus, header = state
    if focus is None and header is None:
        return None
    return {"writing_to_conversation": focus, "last_header_shown": header}


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _profile(profile: Profile | None) -> dict[str, Any] | None:
    if profile is None:
        return None
    return {"display_name": profile.display_name, "languages": sorted(profile.languages),
            "municipalities": sorted(profile.municipalities), "topics": sorted(profile.topics),
            "windows": [{"weekday": w.weekday, "start": w.start.isoformat("minutes"),
                         "end": w.end.isoformat("minutes")} for w in profile.windows],
            "capacity": profile.capacity, "paused": profile.paused}


def _leads(mine: list[Lead], appointed: list[Lead]) -> dict[str, Any] | None:
    if not mine and not appointed:
        return None
    return {"you_lead": [{"language": x.language, "since": _iso(x.appointed_at)}
                         for x in mine],
            "you_appointed": [{"language": x.language, "at": _iso(x.appointed_at)}
                              for x in appointed]}


def _invitations(found: list[Invitation], telegram_id: int) -> dict[str, Any] | None:
    def one(i: Invitation) -> dict[str, Any]:
        return {"role": i.role.value, "municipality": i.municipality,
                "created_at": _iso(i.created_at), "expires_at": _iso(i.expires_at),
                "used_at": _iso(i.used_at), "accepted_at": _iso(i.accepted_at),
                "declined_at": _iso(i.declined_at), "withdrawn": i.revoked}

    if not found:
        return None
    return {"created": [one(i) for i in found if i.created_by == telegram_id],
            "used": [one(i) for i in found if i.used_by == telegram_id]}


def _conversation(conv: Conversation | None) -> dict[str, Any] | None:
    if conv is None:
        return None
    return {"flow": str(conv.flow), "step": str(conv.step), "answers": conv.data}
