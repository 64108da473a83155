"""A relayed text shown with its machine translation, made when the copy is delivered.

The turn that relays a message only notes what to translate (outbox.Translate in the row),
so it never waits for a model while it holds the database. The drainer calls `prepare`
just before sending: the original, then the translation under a marker in the reader's
language. When translation fails, the original goes with a word that it did.
"""

from __future__ import annotations

from dataclasses import replace

from bot.domain import outbox
from bot.domain.replies import escape
from bot.services.handoff_routing import Reader
from bot.services.ports import Catalogs, MachineTranslation
from bot.services.profile_questions import language_name


def _(message: str) -> str:
    """Mark a string for extraction; it is translated for the reader where it is sent."""
    return message


MARKER = _("🤖 Machine translation from {language}; it may contain mistakes:")
FAILED = _("🤖 The machine translation did not work this time; this is the original.")
DRAFT = _("🤖 A machine translation into {language} to start from. It may contain "
          "mistakes: read it well, correct it, and send it as your own. Tap it to copy it:")


class RelayTranslation:
    def __init__(self, translation: MachineTranslation, catalogs: Catalogs) -> None:
        self._translation = translation
        self._catalogs = catalogs

    async def prepare(self, message: outbox.Message) -> outbox.Message:
        if message.draft is not None:
            return await self._with_draft(message, message.draft)
        copy = message.copy
        if copy is None or copy.translate is None:
            return message
        wanted = copy.translate
        reader = Reader(self._catalogs, wanted.target)
        done = await self._translation.translate([wanted.text], wanted.source, wanted.target)
        original = escape(wanted.text)
        if done is None:
            text = f"{original}\n\n<i>{reader.gettext(FAILED)}</i>"
        else:
            marker = reader.fill(reader.gettext(MARKER),
                                 language=language_name(wanted.source, reader.language))
            text = f"{original}\n\n<i>{marker}</i>\n{escape(done[0].text)}"
        return reader.readable(outbox.Message(text, reply_to=copy.reply_to))

    async def _with_draft(self, message: outbox.Message,
                          wanted: outbox.Translate) -> outbox.Message:
        """A request to write a version, with a machine draft under it when a model serves
        the pair (kept in the database: the same text goes to several people)."""
        bare = replace(message, draft=None)
        if not self._translation.can(wanted.source, wanted.target):
            return bare
        done = await self._translation.translate([wanted.text], wanted.source, wanted.target,
                                                 store=True)
        if done is None:
            return bare
        reader = Reader(self._catalogs, wanted.reader or wanted.target)
        marker = reader.fill(reader.gettext(DRAFT),
                             language=language_name(wanted.target, reader.language))
        draft = escape(done[0].text)
        # <pre>: Telegram copies it with one tap; the sleutelpersoon sends it back corrected.
        return replace(bare, text=f"{message.text}\n\n<i>{marker}</i>\n<pre>{draft}</pre>")
