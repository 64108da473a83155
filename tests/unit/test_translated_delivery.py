"""What a message becomes at delivery when machine translation is at hand (issue 12): a
relayed text with its marked translation, a note when translating failed, a request to write
a version with a machine draft to start from. A fake stands in for the models here (the real
ones are tested in test_machine_translation.py, with the [translate] extra)."""

from __future__ import annotations

from collections.abc import Sequence

from bot.content.catalogs import BabelCatalogs
from bot.domain import outbox
from bot.domain.bidi import strip_controls
from bot.domain.translation import Translated
from bot.services.relay_translation import DRAFT, FAILED, MARKER, RelayTranslation


class FakeTranslation:
    def __init__(self, pairs: set[tuple[str, str]], *, works: bool = True) -> None:
        self.pairs = pairs
        self.works = works
        self.asked: list[tuple[tuple[str, ...], str, str, bool]] = []

    def can(self, source: str, target: str) -> bool:
        return (source, target) in self.pairs

    async def translate(self, texts: Sequence[str], source: str, target: str, *,
                        store: bool = False) -> list[Translated] | None:
        self.asked.append((tuple(texts), source, target, store))
        if not self.works or not self.can(source, target):
            return None
        return [Translated(f"[{target}] {text}", "fake:1") for text in texts]


def relayed(text: str, source: str = "ar", target: str = "nl") -> outbox.Message:
    return outbox.Message("", copy=outbox.Copy(101, 7, 3, translate=outbox.Translate(
        text, source, target)))


async def test_a_relayed_text_comes_with_its_marked_translation(
        catalogs: BabelCatalogs) -> None:
    fake = FakeTranslation({("ar", "nl")})
    sent = await RelayTranslation(fake, catalogs).prepare(relayed("عندي <رسالة>"))
    assert sent.copy is None and sent.reply_to == 3  # a text of our own, still a reply
    shown = strip_controls(sent.text)
    marker = catalogs.translator("nl").gettext(MARKER).split("{language}")[0]
    assert shown.startswith("عندي &lt;رسالة&gt;\n\n<i>" + marker)  # escaped, original first
    assert shown.endswith("[nl] عندي &lt;رسالة&gt;")
    assert fake.asked == [(("عندي <رسالة>",), "ar", "nl", False)]  # a conversation: not kept


async def test_when_translating_fails_the_original_goes_with_a_word_that_it_did(
        catalogs: BabelCatalogs) -> None:
    sent = await RelayTranslation(FakeTranslation({("ar", "nl")}, works=False),
                                  catalogs).prepare(relayed("مرحبا"))
    assert strip_controls(sent.text) == (
        f"مرحبا\n\n<i>{catalogs.translator('nl').gettext(FAILED)}</i>")


async def test_a_request_for_a_version_gets_a_machine_draft_to_start_from(
        catalogs: BabelCatalogs) -> None:
    fake = FakeTranslation({("nl", "ar")})
    request = outbox.Message("Schrijf de Arabische versie.", draft=outbox.Translate(
        "Taalcafé op woensdag", "nl", "ar", reader="nl"))
    sent = await RelayTranslation(fake, catalogs).prepare(request)
    marker = catalogs.translator("nl").gettext(DRAFT).split("{language}")[0]
    assert sent.draft is None and sent.text.startswith("Schrijf de Arabische versie.\n\n<i>")
    assert marker in strip_controls(sent.text)
    assert sent.text.endswith("<pre>[ar] Taalcafé op woensdag</pre>")
    assert fake.asked[0][3] is True  # the same text goes to several people: kept
    # No model for the pair: the request goes as it was written.
    bare = await RelayTranslation(FakeTranslation(set()), catalogs).prepare(request)
    assert bare == outbox.Message("Schrijf de Arabische versie.")


async def test_other_messages_pass_unchanged(catalogs: BabelCatalogs) -> None:
    message = outbox.Message("Hallo", copy=outbox.Copy(1, 2))
    assert await RelayTranslation(FakeTranslation(set()), catalogs).prepare(message) is message
