"""Onboarding through real aiogram over HTTP, in Arabic and Tigrinya, plus language change."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from fakes.bot_api import FakeBotAPI
from harness import Person, RunningBot
from texts import data, labels, seen, tr

from bot.domain.bidi import FSI


async def onboard(person: Person, lang: str) -> None:
    """The whole onboarding; ends in June of next year (whatever today's date is)."""
    [picker] = await person.say("/start")
    for code in ("ar", "ti", "en", "nl"):
        assert f"o:lang:{code}" in data(picker)
    *draft_note, consent = await person.press(f"o:lang:{lang}", replies=2 if lang == "ti" else 1)
    assert tr(lang, "Do you agree to this?") in seen(consent)
    assert bool(draft_note) == (lang == "ti")  # Tigrinya texts are unreviewed drafts
    assert "/delete" in seen(consent) and "/mydata" in seen(consent)
    [where] = await person.press("o:consent:yes")
    assert tr(lang, "In which municipality do you live?") in seen(where)
    assert "Leidschendam-Voorburg" in labels(where)
    assert tr(lang, "Another municipality") in labels(where)
    [guidance] = await person.press("o:muni:leidschendam-voorburg")
    assert data(guidance) == ["o:beg:running", "o:beg:ended", "o:beg:unknown"]
    [year] = await person.press("o:beg:running")
    assert "o:year:unknown" in data(year)
    next_year = data(year)[1]  # the years offered start with the current one
    [month] = await person.press(next_year)
    assert len(data(month)) == 13  # next year has all twelve months, and "I don't know"
    [menu] = await person.press("o:month:6")
    assert data(menu) == ["m:topics", "m:emergency", "m:person", "m:events",
        "m:directory", "m:settings", "m:privacy", "m:help"]
    assert tr(lang, "⚙️ Settings") in labels(menu)


@pytest.mark.parametrize("lang", ["ar", "ti"])
async def test_full_onboarding(api: FakeBotAPI, bot: RunningBot, lang: str) -> None:
    person = Person(api, 1001, language_code=lang)
    await onboard(person, lang)
    [(language, municipality, begeleiding, end)] = bot.rows(
        "SELECT language, municipality, begeleiding, begeleiding_end FROM people")
    next_year = datetime.now(ZoneInfo("Europe/Amsterdam")).year + 1
    assert (language, municipality, begeleiding, end) == (
        lang, "leidschendam-voorburg", "running", f"{next_year}-06-01")
    # Answered buttons are retired so they cannot be pressed again by mistake.
    assert any(c.method == "editMessageReplyMarkup" for c in api.sent)


async def test_picker_preselects_telegram_language_and_arabic_isolates_latin(
        api: FakeBotAPI, bot: RunningBot) -> None:
    person = Person(api, 1002, language_code="ar")
    [picker] = await person.say("/start")
    assert "✓ العربية" in labels(picker)
    assert seen(picker).splitlines()[0] == tr("ar", "Choose your language.")
    [consent] = await person.press("o:lang:ar")
    raw = consent.params["text"]
    # Commands and Dutch words keep their direction inside the Arabic paragraphs.
    assert f"{FSI}/delete\u2069" in raw and f"{FSI}IND\u2069" in raw
    welcome = tr("ar", "<b>Welcome to Wegwijs!</b>\nWegwijs helps you find your way in the "
                 "Netherlands: letters, rules and local help, in your own language.")
    assert seen(consent).startswith(welcome)


async def test_bot_profile_is_published_in_four_languages(api: FakeBotAPI,
                                                          bot: RunningBot) -> None:
    for code in ("ar", "ti", "nl", "en", ""):
        commands = api.commands_for(code)
        assert commands and {"command": "delete", "description": tr(code or "en",
                             "Delete all your data")} in commands
        assert api.descriptions[code]


async def test_language_change(api: FakeBotAPI, bot: RunningBot) -> None:
    person = Person(api, 1003, language_code="en")
    await onboard(person, "en")
    [picker] = await person.say("/language")
    assert "s:lang:nl" in data(picker)
    [saved] = await person.press("s:lang:ar")
    assert tr("ar", "Saved.") in seen(saved)
    assert f"{FSI}Leidschendam-Voorburg" in (saved.params.get("text") or "")
    [menu] = await person.say("/menu")
    assert tr("ar", "🔒 Privacy and your data") in labels(menu)
