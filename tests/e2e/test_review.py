"""Reviewing the bot's translations (issue 12) over real aiogram and HTTP, done as the issue
says: a Tigrinya speaker reviews ten catalog entries in the bot and `wegwijs i18n
apply-reviews` writes them.

Selam, a sleutelpersoon who reads the bot in Tigrinya, sends /review and judges ten texts:
seven are right, three she improves by typing a better text (one try loses a {placeholder}
and is refused kindly). Amal, a second Tigrinya-speaking sleutelpersoon, is shown those ten
first, the improved ones with Selam's suggestion, and agrees with all of them. The operator
then runs `wegwijs i18n apply-reviews` (first with --dry-run) on a copy of locales/: the ten
entries are reviewed (no longer fuzzy), with a `reviewed-by:` line per reviewer, and running
it again writes nothing. The repository's own locales/ is never written.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from fakes.bot_api import FakeBotAPI
from harness import RunningBot
from test_handoff import appoint, invite
from texts import data, seen, tr

from bot.content import catalog_status as cs
from bot.settings import PROJECT_ROOT, Settings

IMPROVED_AT = (2, 5, 8)  # of the ten texts, the ones Selam writes anew


@pytest.fixture(autouse=True)
def no_quiet_hours(monkeypatch: pytest.MonkeyPatch) -> None:
    """The coordinator hears of each accepted invitation: a proactive message."""
    monkeypatch.setenv("WEGWIJS_QUIET_HOURS", "")


@pytest.fixture
def content(tmp_path: Path) -> Path:
    """The project's content with a copy of locales/ that apply-reviews may write."""
    root = tmp_path / "content"
    root.mkdir()
    for linked in ("flows", "knowledge"):
        (root / linked).symlink_to(PROJECT_ROOT / linked)
    shutil.copytree(PROJECT_ROOT / "locales", root / "locales")
    return root


class ReviewBot(RunningBot):
    def __init__(self, api: FakeBotAPI, data_dir: Path, content: Path) -> None:
        super().__init__(api, data_dir)
        self.content = content

    def settings(self) -> Settings:
        return super().settings().model_copy(update={"content_dir": self.content})


@pytest.fixture
async def bot(api: FakeBotAPI, tmp_path: Path, content: Path) -> AsyncIterator[ReviewBot]:
    running = ReviewBot(api, tmp_path, content)
    await running.start()
    yield running
    if running._task is not None:
        await running.stop()
    refused = [e for e in api.errors if not (  # as tests/e2e/conftest.py's refused()
        e.method == "editMessageReplyMarkup" and "message is not modified" in (e.error or ""))]
    assert not refused, "the fake Bot API rejected requests:\n" + api.dump()


async def wegwijs(bot: ReviewBot, *args: str) -> str:
    """`wegwijs ...` as the operator runs it, on the bot's database and content copy."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("WEGWIJS_")}
    env["WEGWIJS_DATA_DIR"] = str(bot.data_dir)
    env["WEGWIJS_CONTENT_DIR"] = str(bot.content)
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", *args, cwd=bot.data_dir, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 0, err.decode()
    return out.decode()


def before(template: str) -> str:
    """A translated template's words before its first {placeholder}."""
    return template.split("{", 1)[0].strip()


async def test_a_tigrinya_speaker_reviews_ten_texts_and_apply_reviews_writes_them(
        api: FakeBotAPI, bot: ReviewBot) -> None:
    po = cs.po_path(bot.content / "locales", "ti")
    ten = cs.entries(bot.content / "locales", "ti")[:10]
    assert all(e.status is cs.Status.DRAFT for e in ten)  # every Tigrinya text is a draft
    coordinator = await appoint(api, bot, 8001, "leiden")
    selam = await invite(coordinator, "leiden", 8101, "ti", "Selam")
    amal = await invite(coordinator, "leiden", 8102, "ti", "Amal")

    # Selam reviews ten texts, in Tigrinya
    intro, screen = await selam.say("/review", replies=2)
    assert before(tr("ti", "📝 <b>Review the bot's texts in {language}</b>\n"
                           "For each text you see the English, where it appears, and the "
                           "text now. Tap ✅ if it is right, ✏️ to write a better one, ⏭ if "
                           "you are not sure. A text counts as reviewed when two reviewers "
                           "agree, or when a language lead approves it.")) in seen(intro)
    where = tr("ti", "The bot's own words, in {file}").format(file=ten[0].locations[0])
    assert ten[0].msgid in seen(screen) and where in seen(screen)
    assert ten[0].text in seen(screen)
    better: dict[str, str] = {}
    for number, entry in enumerate(ten):
        assert entry.msgid in seen(screen), (number, seen(screen))
        if number not in IMPROVED_AT:
            [screen] = await selam.press(next(d for d in data(screen)
                                              if d.startswith("q:ok:")))
            continue
        _ask, _copy_this, current = await selam.press(
            next(d for d in data(screen) if d.startswith("q:edit:")), replies=3)
        assert seen(current) == entry.text  # tap to copy, then change it
        if number == IMPROVED_AT[0]:  # a {placeholder} lost: refused, nothing stored
            [kindly] = await selam.say("ጽሑፍ ብዘይ ቦታ-ሓዞ")
            assert before(tr("ti", "Please keep these exactly as in the English text: "
                                   "{items}. Send your text again.")) in seen(kindly)
        better[entry.msgid] = f"{entry.text.rstrip('።').rstrip()} (ዝተመሓየሸ)።"
        _saved, screen = await selam.say(better[entry.msgid], replies=2)
        assert tr("ti", "✅ Saved. Thank you!") in seen(_saved)
    [thanks] = await selam.press("q:stop")
    assert tr("ti", "Thank you! Texts you reviewed in this session: {count}. Send /review "
                    "to go on another time.").format(count="10") in seen(thanks)
    assert bot.rows("SELECT verdict, count(*) FROM catalog_review_votes GROUP BY verdict "
                    "ORDER BY verdict") == [("correct", 7), ("improved", 3)]

    # Amal is shown the same ten first, and agrees; an improved one shows the suggestion
    _intro, screen = await amal.say("/review", replies=2)
    for entry in ten:
        assert entry.msgid in seen(screen)
        if entry.msgid in better:
            assert better[entry.msgid] in seen(screen)
            assert tr("ti", "Suggested by another reviewer:") in seen(screen)
        [screen] = await amal.press(next(d for d in data(screen) if d.startswith("q:ok:")))
    assert ten[-1].msgid not in seen(screen)  # the eleventh text now

    # The operator writes them into the catalog: a dry run first, then for real
    untouched = po.read_bytes()
    dry = await wegwijs(bot, "i18n", "apply-reviews", "--dry-run")
    assert "Would write 10 reviewed text(s)" in dry and "Dry run: nothing was written." in dry
    assert po.read_bytes() == untouched
    out = await wegwijs(bot, "i18n", "apply-reviews")
    assert "Wrote 10 reviewed text(s)" in out and "make i18n" in out
    catalog = cs.read_catalog(po, "ti")
    for entry in ten:
        message = catalog.get(entry.msgid)
        assert message is not None and not message.fuzzy
        assert cs.status_of(message) is cs.Status.REVIEWED
        assert message.string == better.get(entry.msgid, entry.text)
        assert [r.pseudonym for r in cs.reviews_in(message.user_comments)] == ["Selam", "Amal"]
    text = po.read_text(encoding="utf-8")
    assert len(re.findall(r"^# reviewed-by: Selam \d{4}-\d{2}-\d{2}$", text, re.M)) == 10
    assert "No accepted reviews to write." in await wegwijs(bot, "i18n", "apply-reviews")
    # the repository's catalog is never written by a test
    repository = cs.read_catalog(cs.po_path(PROJECT_ROOT / "locales", "ti"), "ti")
    assert all(repository.get(e.msgid).fuzzy for e in ten)  # type: ignore[union-attr]
    stats = await wegwijs(bot, "i18n", "stats")
    assert re.search(r"^ti\s+10\s", stats, re.M), stats
