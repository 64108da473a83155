"""A terminal chat on the same services as Telegram: buttons appear as numbers.

For content authors and for a first try without a Telegram token. The console plays
several people: `/as 2` makes you person 2, who then sees what the bot sent them (the
outbox delivers to the console as it does to Telegram).

Messages people write get a number, as in Telegram, so the handoff's relay can copy them:
`/photo a letter`, `/voice`, `/document`, `/sticker` send a pretend photo, voice note,
document or sticker, and `/reply 12 text` answers message 12.

`/clock` moves time (`/clock +3d`, `/clock +12h`, `/clock 2027-02-14`) and runs the ticks,
so a year of check-ins can be tried in minutes; `wegwijs chat --clock 2027-01-10` starts
on that day.
"""

from __future__ import annotations

import asyncio
import sys
from datetime import UTC, date, datetime, time, timedelta
from typing import TextIO
from zoneinfo import ZoneInfo

from bot.app import App
from bot.domain import outbox
from bot.domain.bidi import strip_controls
from bot.domain.delivery import SENT, Delivery, SendResult
from bot.domain.incoming import Caller, Posted, command_args, command_name
from bot.domain.replies import Button, Outcome, Reply, plain_text
from bot.services.clock import MovableClock
from bot.services.outbox import Drainer

# Pretend media for trying the relay offline: the command and how a copy shows it.
_PRETEND = {"photo": "📷", "voice": "🎤", "document": "📄", "sticker": "🙂"}


def plain(text: str) -> str:
    """Telegram HTML as terminal text; links keep their address visible."""
    return strip_controls(plain_text(text))


class ConsoleChat:
    def __init__(self, app: App, caller: Caller, out: TextIO, *,
                 language: str | None = None, municipality: str | None = None) -> None:
        self._app = app
        self._caller = caller
        self._out = out
        self._buttons: list[Button] = []
        # Answers given on the command line, pressed for the person when asked.
        self._auto = {f"{scope}:lang:{language}" for scope in "os"} if language else set()
        if municipality:
            self._auto.add(f"o:muni:{municipality}")
        self._files = app.settings.data_dir / "console"
        # Outbox messages for people the console is not playing right now, per chat.
        self._waiting: dict[int, list[outbox.Message]] = {}
        self._drainer: Drainer | None = None
        # (chat, message number) -> what it shows: the console's own Telegram chats.
        self._messages: dict[tuple[int, int], str] = {}
        self._last_id = 0

    def attach(self, drainer: Drainer) -> None:
        """Deliver the outbox after each line, so what it sends shows in order."""
        self._drainer = drainer

    async def deliver(self, chat_id: int, message: outbox.Message, *,
                      background: bool = False) -> SendResult:
        """The outbox's console transport: print it, or keep it until `/as` that person."""
        if message.copy is not None:  # a relayed message: shown with its new number
            copied = self._messages.get((message.copy.from_chat_id, message.copy.message_id))
            if copied is None:
                return SendResult(Delivery.REFUSED, detail="message to copy not found")
            number = self._number(chat_id, copied)
            answers = f" ↩ {message.copy.reply_to}" if message.copy.reply_to else ""
            caption = f"\n{message.copy.caption}" if message.copy.caption else ""
            message = outbox.Message(f"[{number}{answers}] {copied}{caption}")
            await self.deliver(chat_id, message)
            return SendResult(Delivery.SENT, message_id=number)
        if message.edit_of is not None:  # the console cannot change what it printed
            message = outbox.Message("✏️ " + message.text, message.keyboard)
        if chat_id == self._caller.chat_id:
            self._show_message(message)
        else:
            self._waiting.setdefault(chat_id, []).append(message)
            tr = self._app.catalogs.translator(self._caller.language_code or "en")
            self._print(self._fill(tr.gettext(
                "📨 A message for person {person} is waiting: type /as {person} to read it."),
                person=str(chat_id)))
        return SENT

    async def run(self, lines: TextIO) -> None:
        tr = self._app.catalogs.translator(self._caller.language_code or "en")
        self._print(tr.gettext(
            "Wegwijs console chat. Type the number of a button, a command such as /menu, "
            "or a message. Press Ctrl-D to leave."))
        self._print(tr.gettext(
            "To play another person, type /as and a number, for example /as 2; each person "
            "sees what the bot sent them."))
        await self.handle("/language" if self._auto else "/start")
        loop = asyncio.get_running_loop()
        while True:
            line = await loop.run_in_executor(None, lines.readline)
            if not line:
                break
            if line.strip():
                await self.handle(line.strip())

    async def handle(self, line: str) -> None:
        desk = self._app.desk  # the same routing by audience as Telegram's routers
        if (name := command_name(line)) == "as":
            await self._become(command_args(line))
            return
        if name == "clock":
            await self._move_clock(command_args(line))
            return
        if line.isdigit() and 1 <= int(line) <= len(self._buttons):
            outcome = await desk.button(self._caller, self._buttons[int(line) - 1].data)
        elif (posted := self._posted(line)) is not None:
            outcome = await desk.post(self._caller, posted)
        elif (name := command_name(line)) is not None:
            outcome = await desk.command(self._caller, name, command_args(line))
        else:
            outcome = await desk.text(self._caller, line)
        await self._show(outcome)
        if self._drainer is not None:
            await self._drainer.drain()

    async def _move_clock(self, how: str) -> None:
        """`/clock`: show the time; `/clock +3d`, `+12h` or `2027-02-14` (noon there) move it
        and run the ticks at once, as if the time had passed."""
        clock = self._app.clock
        zone = self._app.settings.zone
        tr = self._app.catalogs.translator(self._caller.language_code or "en")
        if how and isinstance(clock, MovableClock):
            target = moved_to(how.strip(), clock(), zone)
            if target is None:
                self._print(tr.gettext("Type /clock +3d, /clock +12h or /clock 2027-02-14."))
                return
            if target < clock():
                self._print(tr.gettext("The clock only moves forward."))
                return
            clock.move_to(target)
            await self._app.catch_up()
        local = self._app.clock().astimezone(zone)
        self._print(self._fill(tr.gettext("🕒 It is now {moment}."),
                               moment=local.strftime("%Y-%m-%d %H:%M %Z")))
        if self._drainer is not None:
            await self._drainer.drain()

    def _posted(self, line: str) -> Posted | None:
        """A message the person writes: text, a pretend photo or voice note, or a reply."""
        reply_to: int | None = None
        if command_name(line) == "reply":
            number, _sep, rest = command_args(line).partition(" ")
            if not number.isdigit() or not rest.strip():
                return None
            reply_to, line = int(number), rest.strip()
        name = command_name(line)
        text: str | None
        if name is None:
            media, text, shown = "text", line, line
        elif name in _PRETEND:
            media, text = name, command_args(line) or None
            shown = f"{_PRETEND[name]} {text or ''}".strip()
        else:
            return None
        message_id = self._number(self._caller.chat_id, shown)
        self._print(f"[{message_id}]")
        return Posted(message_id, text, media, reply_to)

    def _number(self, chat_id: int, shown: str) -> int:
        self._last_id += 1
        self._messages[(chat_id, self._last_id)] = shown
        return self._last_id

    async def _become(self, who: str) -> None:
        """`/as N`: play person N (a Telegram user id of your choosing) from now on."""
        tr = self._app.catalogs.translator(self._caller.language_code or "en")
        if not who.strip().isdigit() or int(who) < 1:
            self._print(tr.gettext("Type /as and a person's number, for example /as 2."))
            return
        number = int(who)
        self._caller = Caller(number, number, self._caller.language_code)
        self._buttons = []
        self._print(self._fill(tr.gettext("You are now person {person}."), person=str(number)))
        for message in self._waiting.pop(number, []):
            self._show_message(message)

    def _show_message(self, message: outbox.Message) -> None:
        self._buttons = []
        self._show_reply(message.reply())
        self._print("")

    @staticmethod
    def _fill(template: str, **values: str) -> str:
        return template.format(**values)

    async def _show(self, outcome: Outcome) -> None:
        self._buttons = []
        for reply in outcome.replies:
            self._show_reply(reply)
        self._print("")
        auto = next((b for b in self._buttons if b.data in self._auto), None)
        if auto is not None:
            self._auto.discard(auto.data)
            self._print(f"> {plain(auto.label)}")
            await self._show(await self._app.desk.button(self._caller, auto.data))

    def _show_reply(self, reply: Reply) -> None:
        if reply.place is not None:  # Telegram shows a map pin; here, where to find it
            place = reply.place
            where = ", ".join(x for x in (place.title, place.address) if x)
            self._print(f"📍 {where}: https://www.openstreetmap.org/?mlat={place.latitude}"
                        f"&mlon={place.longitude}#map=17/{place.latitude}/{place.longitude}")
        self._print(plain(reply.text))
        if reply.document is not None:
            self._files.mkdir(parents=True, exist_ok=True)
            path = self._files / reply.document.filename
            path.write_bytes(reply.document.content)
            self._print(f"📎 {path}")
        for row in reply.keyboard:
            cells = []
            for button in row:
                if button.url:  # a link opens in the browser; nothing to press here
                    cells.append(f"{plain(button.label)}: {button.url}")
                    continue
                self._buttons.append(button)
                cells.append(f"[{len(self._buttons)}] {plain(button.label)}")
            self._print("   ".join(cells))

    def _print(self, text: str) -> None:
        self._out.write(text + "\n")
        self._out.flush()


def moved_to(how: str, now: datetime, zone: ZoneInfo) -> datetime | None:
    """`+3d`, `+12h`, `+30m` from now, or a day (`2027-02-14`, at noon there)."""
    if how.startswith("+") and how[1:-1].isdigit() and how[-1] in "dhm":
        amount = int(how[1:-1])
        return now + {"d": timedelta(days=amount), "h": timedelta(hours=amount),
                      "m": timedelta(minutes=amount)}[how[-1]]
    try:
        day = date.fromisoformat(how)
    except ValueError:
        return None
    return datetime.combine(day, time(12), tzinfo=zone).astimezone(UTC)


async def run_console(app: App, caller: Caller, *, language: str | None,
                      municipality: str | None) -> None:
    console = ConsoleChat(app, caller, sys.stdout, language=language, municipality=municipality)
    async with app.background(console) as drainer:
        console.attach(drainer)
        await console.run(sys.stdin)
