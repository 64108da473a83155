"""A terminal chat on the same services as Telegram: buttons appear as numbers.

For content authors and for a first try without a Telegram token.
"""

from __future__ import annotations

import asyncio
import sys
from typing import TextIO

from bot.app import App
from bot.domain.bidi import strip_controls
from bot.domain.incoming import Caller, command_args, command_name
from bot.domain.replies import Button, Outcome, plain_text


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

    async def run(self, lines: TextIO) -> None:
        tr = self._app.catalogs.translator(self._caller.language_code or "en")
        self._print(tr.gettext(
            "Wegwijs console chat. Type the number of a button, a command such as /menu, "
            "or a message. Press Ctrl-D to leave."))
        await self.handle("/language" if self._auto else "/start")
        loop = asyncio.get_running_loop()
        while True:
            line = await loop.run_in_executor(None, lines.readline)
            if not line:
                break
            if line.strip():
                await self.handle(line.strip())

    async def handle(self, line: str) -> None:
        chat = self._app.chat
        if line.isdigit() and 1 <= int(line) <= len(self._buttons):
            outcome = await chat.button(self._caller, self._buttons[int(line) - 1].data)
        elif (name := command_name(line)) is not None:
            outcome = await chat.command(self._caller, name, command_args(line))
        else:
            outcome = await chat.text(self._caller, line)
        await self._show(outcome)

    async def _show(self, outcome: Outcome) -> None:
        self._buttons = []
        for reply in outcome.replies:
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
        self._print("")
        auto = next((b for b in self._buttons if b.data in self._auto), None)
        if auto is not None:
            self._auto.discard(auto.data)
            self._print(f"> {plain(auto.label)}")
            await self._show(await self._app.chat.button(self._caller, auto.data))

    def _print(self, text: str) -> None:
        self._out.write(text + "\n")
        self._out.flush()


async def run_console(app: App, caller: Caller, *, language: str | None,
                      municipality: str | None) -> None:
    console = ConsoleChat(app, caller, sys.stdout, language=language, municipality=municipality)
    await console.run(sys.stdin)
