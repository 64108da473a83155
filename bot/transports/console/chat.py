"""A terminal chat on the same services as Telegram: buttons appear as numbers.

For content authors and for a first try without a Telegram token. The console plays
several people: `/as 2` makes you person 2, who then sees what the bot sent them (the
outbox delivers to the console as it does to Telegram).
"""

from __future__ import annotations

import asyncio
import sys
from typing import TextIO

from bot.app import App
from bot.domain import outbox
from bot.domain.bidi import strip_controls
from bot.domain.delivery import SENT, SendResult
from bot.domain.incoming import Caller, command_args, command_name
from bot.domain.replies import Button, Outcome, Reply, plain_text
from bot.services.outbox import Drainer


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

    def attach(self, drainer: Drainer) -> None:
        """Deliver the outbox after each line, so what it sends shows in order."""
        self._drainer = drainer

    async def deliver(self, chat_id: int, message: outbox.Message) -> SendResult:
        """The outbox's console transport: print it, or keep it until `/as` that person."""
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
        if line.isdigit() and 1 <= int(line) <= len(self._buttons):
            outcome = await desk.button(self._caller, self._buttons[int(line) - 1].data)
        elif (name := command_name(line)) is not None:
            outcome = await desk.command(self._caller, name, command_args(line))
        else:
            outcome = await desk.text(self._caller, line)
        await self._show(outcome)
        if self._drainer is not None:
            await self._drainer.drain()

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


async def run_console(app: App, caller: Caller, *, language: str | None,
                      municipality: str | None) -> None:
    console = ConsoleChat(app, caller, sys.stdout, language=language, municipality=municipality)
    async with app.background(console) as drainer:
        console.attach(drainer)
        await console.run(sys.stdin)
