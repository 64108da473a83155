"""Copying messages between a newcomer and a sleutelpersoon, through the outbox.

Every copy is an outbox row of kind RELAY (never held by quiet hours or /stop) written in
the unit of work of the message it copies, with a mapping row (bot.storage RelayRow) that
links the original and the copy, so a reply to either points at the other. A sleutelpersoon
with several conversations sees a short header whenever the next message comes from
another conversation than the last one did.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from bot.domain import handoff as h
from bot.domain import outbox
from bot.domain.person import Person
from bot.domain.replies import Keyboard
from bot.services.handoff_routing import Reader, Router
from bot.services.ports import UnitOfWork
from bot.services.turn import Turn
from bot.translation.detect import detect


async def from_newcomer(turn: Turn, router: Router, handoff: h.Handoff, message_id: int,
                        media: h.Media, reply_to: int | None, text: str | None = None) -> None:
    """Copy to the claimer now, or keep the reference until someone claims the question."""
    chat = turn.person.chat_id
    relayed = h.Relayed(handoff.id, h.Side.NEWCOMER, chat, message_id)
    text = text if media is h.Media.TEXT else None  # voice notes and photos: never
    helper = await turn.uow.people.by_telegram_id(handoff.helper_id) \
        if handoff.status is h.Status.CLAIMED and handoff.helper_id is not None else None
    if helper is None:  # kept for whoever takes it, the text only if it may need translating
        await turn.uow.handoffs.relay(relayed, media, turn.now,
                                      text=text if router.translation is not None else None)
        return
    await header(turn.uow, router, handoff, helper, turn.now, f"{chat}:{message_id}")
    target = await _counterpart(turn.uow, handoff, chat, reply_to)
    translate = await _for_helper(turn.uow, router, handoff, helper, text)
    await _copy(turn.uow, relayed, media, helper, target, turn.now, translate)


async def from_helper(turn: Turn, router: Router, handoff: h.Handoff, message_id: int,
                      media: h.Media, reply_to: int | None, text: str | None = None) -> bool:
    """Copy a sleutelpersoon's message to the newcomer; False when the newcomer is gone."""
    newcomer = await turn.uow.people.get(handoff.newcomer_id) if handoff.newcomer_id else None
    if newcomer is None:
        return False
    chat = turn.person.chat_id
    target = await _counterpart(turn.uow, handoff, chat, reply_to)
    translate = _translation(router, text if media is h.Media.TEXT else None,
                             turn.person.language or "en", handoff.language,
                             (handoff.language,))
    await _copy(turn.uow, h.Relayed(handoff.id, h.Side.HELPER, chat, message_id), media,
                newcomer, target, turn.now, translate)
    return True


async def _for_helper(uow: UnitOfWork, router: Router, handoff: h.Handoff, helper: Person,
                      text: str | None) -> outbox.Translate | None:
    if router.translation is None or not text:
        return None
    profile = await uow.profiles.get(helper.telegram_id)
    reads = profile.languages if profile is not None else (helper.language or "en",)
    return _translation(router, text, handoff.language, helper.language or "en", reads)


def _translation(router: Router, text: str | None, writer: str, reader: str,
                 reads: Collection[str]) -> outbox.Translate | None:
    """A text the reader does not read, in a language machine translation bridges to one
    they do (their interface language first). Voice notes and photos are not translated.
    The text's language is told by its script or words when that is certain; else it is
    the writer's."""
    machine = router.translation
    if machine is None or not text or not text.strip():
        return None
    found = detect(text)
    source = found.language if found is not None and found.certain else writer
    if source in reads:
        return None
    for target in dict.fromkeys((reader, *sorted(reads))):
        if target in reads and machine.can(source, target):
            return outbox.Translate(text, source, target)
    return None


async def copy_waiting(uow: UnitOfWork, router: Router, handoff: h.Handoff, helper: Person,
                       now: datetime) -> int:
    """At claim: everything the newcomer wrote so far, in order, to the claimer."""
    waiting = await uow.handoffs.not_copied(handoff.id)
    for relay_id, relayed, _media, text in waiting:
        translate = await _for_helper(uow, router, handoff, helper, text)
        row_id = await uow.outbox.add(_copy_row(relayed, helper, None, translate), now)
        if row_id is not None:
            await uow.handoffs.copying(relay_id, helper.chat_id, row_id)
    return len(waiting)


async def header(uow: UnitOfWork, router: Router, handoff: h.Handoff, helper: Person,
                 now: datetime, key: str) -> None:
    """'💬 Newcomer A7F3 · Tigrinya · Leiden' before a message from another conversation."""
    _focus, shown = await uow.handoffs.focus(helper.telegram_id)
    if shown == handoff.id:
        return
    reader = Reader(router.catalogs, helper.language)
    await say(uow, helper, "💬 " + router.about(reader, handoff), f"relay-header:{key}", now)
    await uow.handoffs.set_focus(helper.telegram_id, header=handoff.id)


async def say(uow: UnitOfWork, to: Person, text: str, key: str, now: datetime,
              keyboard: Keyboard = ()) -> None:
    """A message of the bot inside a conversation: ordered with the copies, and like them
    never held for the night (someone is waiting for it)."""
    await uow.outbox.add(outbox.Outgoing(to.id, outbox.Kind.RELAY,
                                         outbox.Message(text, keyboard), key), now)


def _(message: str) -> str:
    """Mark a string for extraction; it is translated for the reader where it is sent."""
    return message


async def alert_helper(turn: Turn, router: Router, handoff: h.Handoff) -> None:
    await _tell_helper(turn, router, handoff, _(
        "⚠️ The last message of Newcomer {name} may be about an emergency. They were shown "
        "112 and the huisartsenpost."), f"relay-alert:{handoff.id}:{turn.now.isoformat()}",
        name=handoff.label())


async def tell_helper_ended(turn: Turn, router: Router, handoff: h.Handoff) -> None:
    """Neutral: the newcomer closed it, or deleted their data; no reason is given."""
    await _tell_helper(turn, router, handoff, _(
        "Newcomer {name} ended the conversation. Thank you for your help."),
        f"relay-ended:{handoff.id}", name=handoff.label())


async def tell_helper_name(turn: Turn, router: Router, handoff: h.Handoff, code: str) -> None:
    await _tell_helper(turn, router, handoff, _(
        "Newcomer {code} shared their first name: {name}."), f"relay-name:{handoff.id}",
        code=code, name=handoff.shared_name or "")


async def _tell_helper(turn: Turn, router: Router, handoff: h.Handoff, template: str,
                       key: str, **values: str) -> None:
    """A note to the conversation's sleutelpersoon, in their language, in its order."""
    helper = await turn.uow.people.by_telegram_id(handoff.helper_id or 0)
    if helper is None:
        return
    reader = Reader(router.catalogs, helper.language)
    await say(turn.uow, helper, reader.fill(reader.gettext(template), **values), key,
              turn.now)


async def _counterpart(uow: UnitOfWork, handoff: h.Handoff, chat_id: int,
                       reply_to: int | None) -> int | None:
    if reply_to is None:
        return None
    found = await uow.handoffs.found(chat_id, reply_to)
    if found is None or found.handoff_id != handoff.id:
        return None
    return h.counterpart_of(found, chat_id, reply_to)


async def _copy(uow: UnitOfWork, relayed: h.Relayed, media: h.Media, to: Person,
                reply_to: int | None, now: datetime,
                translate: outbox.Translate | None = None) -> None:
    row_id = await uow.outbox.add(_copy_row(relayed, to, reply_to, translate), now)
    if row_id is None:  # the same message handled twice: copied once
        return
    await uow.handoffs.relay(h.Relayed(relayed.handoff_id, relayed.side,
                                       relayed.source_chat_id, relayed.source_message_id,
                                       to.chat_id), media, now, outbox_id=row_id)


def keys_of_chat(chat_id: int) -> tuple[str, ...]:
    """Prefixes of the outbox keys of copies (and their headers) of a chat's messages."""
    return f"relay:{chat_id}:", f"relay-header:{chat_id}:"


def _copy_row(relayed: h.Relayed, to: Person, reply_to: int | None,
              translate: outbox.Translate | None = None) -> outbox.Outgoing:
    return outbox.Outgoing(
        to.id, outbox.Kind.RELAY,
        outbox.Message("", copy=outbox.Copy(relayed.source_chat_id,
                                            relayed.source_message_id, reply_to,
                                            translate=translate)),
        f"relay:{relayed.source_chat_id}:{relayed.source_message_id}")
