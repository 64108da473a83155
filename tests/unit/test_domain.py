"""Pure domain rules: questions, callback data, buttons, quiet hours, bidi, commands."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from bot.domain import languages
from bot.domain.actions import Action, parse
from bot.domain.bidi import FSI, PDI, protect_ltr_runs, strip_controls
from bot.domain.incoming import command_args, command_name
from bot.domain.questions import Flow, Step, end_months, end_years, is_valid, next_step
from bot.domain.quiet_hours import QuietHours
from bot.domain.replies import Button, CallbackTooLong

TODAY = date(2026, 11, 24)


def test_language_codes_from_telegram() -> None:
    assert languages.match("ar-SY") == "ar"
    assert languages.match("en_US") == "en"
    assert languages.match("ti") == "ti"
    assert languages.match("de") is None and languages.match(None) is None


def test_onboarding_order_with_and_without_an_end_date() -> None:
    flow = Flow.ONBOARDING
    assert next_step(flow, Step.LANGUAGE, "ar") == Step.CONSENT
    assert next_step(flow, Step.CONSENT, "yes") == Step.MUNICIPALITY
    assert next_step(flow, Step.CONSENT, "no") is None
    assert next_step(flow, Step.MUNICIPALITY, "leiden") == Step.BEGELEIDING
    assert next_step(flow, Step.BEGELEIDING, "running") == Step.END_YEAR
    assert next_step(flow, Step.END_YEAR, "2027") == Step.END_MONTH
    assert next_step(flow, Step.END_YEAR, "unknown") is None
    assert next_step(flow, Step.END_MONTH, "3") is None
    assert next_step(flow, Step.BEGELEIDING, "ended") is None
    assert next_step(Flow.SETTINGS, Step.LANGUAGE, "nl") is None
    assert next_step(Flow.SETTINGS, Step.BEGELEIDING, "running") == Step.END_YEAR


def test_valid_answers() -> None:
    munis = {"leiden", "other"}
    assert is_valid(Step.MUNICIPALITY, "leiden", municipalities=munis, today=TODAY)
    assert not is_valid(Step.MUNICIPALITY, "amsterdam", municipalities=munis, today=TODAY)
    assert is_valid(Step.END_YEAR, "2028", municipalities=munis, today=TODAY)
    assert not is_valid(Step.END_YEAR, "2025", municipalities=munis, today=TODAY)
    assert not is_valid(Step.END_MONTH, "10", municipalities=munis, today=TODAY, year=2026)
    assert is_valid(Step.END_MONTH, "10", municipalities=munis, today=TODAY, year=2027)
    assert not is_valid(Step.END_MONTH, "3", municipalities=munis, today=TODAY, year=None)
    assert end_years(TODAY) == [2026, 2027, 2028]
    assert end_months(2026, TODAY) == [11, 12]


@pytest.mark.parametrize("data", ["", None, "a", "a:b:c:d", "A:b", "o:lang:ሰ", "o: lang",
                                  "x" * 65, "o:lang:" + "a" * 30])
def test_malformed_callback_data_is_rejected(data: str | None) -> None:
    assert parse(data) is None


def test_callback_data_round_trip() -> None:
    action = Action("o", "muni", "leidschendam-voorburg")
    assert parse(action.encode()) == action
    assert parse("m:help") == Action("m", "help")


def test_buttons_refuse_callback_data_over_64_bytes() -> None:
    Button("ትግርኛ" * 20, "o:lang:ti")  # long Tigrinya labels are fine: data is an id
    with pytest.raises(CallbackTooLong):
        Button("x", "ሰ" * 22)  # 66 bytes
    with pytest.raises(CallbackTooLong):
        Button("x", "")


def test_quiet_hours_across_midnight() -> None:
    quiet = QuietHours.parse("21:00-09:00")
    assert quiet is not None
    assert quiet.contains(time(22, 30)) and quiet.contains(time(3)) and quiet.contains(time(21))
    assert not quiet.contains(time(9)) and not quiet.contains(time(15))
    tz = ZoneInfo("Europe/Amsterdam")
    late = datetime(2026, 11, 24, 23, 15, tzinfo=tz)
    assert quiet.next_allowed(late) == datetime(2026, 11, 25, 9, 0, tzinfo=tz)
    early = datetime(2026, 11, 24, 6, 0, tzinfo=tz)
    assert quiet.next_allowed(early) == datetime(2026, 11, 24, 9, 0, tzinfo=tz)
    noon = datetime(2026, 11, 24, 12, 0, tzinfo=tz)
    assert quiet.next_allowed(noon) == noon


def test_quiet_hours_disabled_and_invalid() -> None:
    assert QuietHours.parse("") is None
    day = QuietHours.parse("12:00-13:00")
    assert day is not None and day.contains(time(12, 30)) and not day.contains(time(13))
    for bad in ("21-09", "21:00", "9:00-9:00", "25:00-01:00"):
        with pytest.raises(ValueError):
            QuietHours.parse(bad)


def test_ltr_runs_are_isolated_in_arabic() -> None:
    text = "أرسل /delete لحذف بياناتك في <b>Leidschendam-Voorburg</b> قبل 2027."
    protected = protect_ltr_runs(text)
    assert f"{FSI}/delete{PDI}" in protected
    assert f"<b>{FSI}Leidschendam-Voorburg{PDI}</b>" in protected
    assert f"{FSI}2027{PDI}" in protected
    assert protect_ltr_runs(protected) == protected  # idempotent
    assert strip_controls(protected) == text


def test_tags_and_entities_are_left_alone() -> None:
    text = '<a href="https://www.lv.nl/">موقع</a> &amp; &lt;b&gt;'
    protected = protect_ltr_runs(text)
    assert protected.startswith('<a href="https://www.lv.nl/">موقع</a> &amp; &lt;')
    assert strip_controls(protected) == text


def test_command_names() -> None:
    assert command_name("/start") == "start"
    assert command_name("/Start@wegwijs_bot payload") == "start"
    assert command_name("/") is None and command_name("hello") is None
    assert command_name("/مرحبا") is None


def test_rtl_lines_that_open_with_latin_get_a_right_to_left_mark() -> None:
    from bot.domain.bidi import RLM

    text = ("/mydata يرسل لك كل ما نحفظه عنك.\nWegwijs مساعد مستقل.\nاكتب /delete\n"
            "Choose your language.")
    lines = protect_ltr_runs(text).split("\n")
    assert lines[0].startswith(RLM + FSI) and lines[1].startswith(RLM + FSI)
    assert not lines[2].startswith(RLM)  # opens with an Arabic letter already
    # An English line in the picker is isolated whole: its full stop stays at its end.
    assert lines[3] == f"{FSI}Choose your language.{PDI}"


@pytest.mark.parametrize("text", ["/word aanmaning", "/word\naanmaning", "/word\taanmaning ",
                                  "/word@wegwijs_bot   aanmaning", " /word \n\n aanmaning\n"])
def test_command_arguments_follow_any_whitespace(text: str) -> None:
    assert command_args(text) == "aanmaning"


def test_a_command_without_arguments_has_none() -> None:
    assert command_args("/word") == command_args("/word \n ") == ""
    assert command_args("/word beschikking\ntoeslag") == "beschikking\ntoeslag"
