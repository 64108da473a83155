"""Never switch someone's language because of one message; after three certain messages in
the same other language, ask once (bot.domain.language_switch)."""

from __future__ import annotations

import json
from collections.abc import Iterable

import pytest

from bot.domain.language_switch import MESSAGES_BEFORE_ASKING, Detected, SwitchWatch, observe

CURRENT = "ar"


def sure(language: str) -> Detected:
    return Detected(language, certain=True)


def unsure(language: str) -> Detected:
    return Detected(language, certain=False)


def run(messages: Iterable[Detected | None], watch: SwitchWatch | None = None,
        current: str = CURRENT) -> tuple[SwitchWatch, list[str | None]]:
    """Observe each message in turn: the last watch and what was asked after each."""
    watch = watch or SwitchWatch()
    asks: list[str | None] = []
    for detected in messages:
        watch, ask = observe(watch, current, detected)
        asks.append(ask)
    return watch, asks


def test_three_messages_before_asking() -> None:
    assert MESSAGES_BEFORE_ASKING == 3


def test_one_message_never_asks() -> None:
    watch, asks = run([sure("nl")])
    assert asks == [None]
    assert watch == SwitchWatch("nl", 1)


def test_three_consecutive_certain_messages_ask_once() -> None:
    watch, asks = run([sure("nl")] * 3)
    assert asks == [None, None, "nl"]
    assert watch == SwitchWatch(asked=frozenset({"nl"}))


def test_never_asked_twice_about_the_same_language() -> None:
    watch, asks = run([sure("nl")] * 12)
    assert asks == [None, None, "nl"] + [None] * 9
    assert watch == SwitchWatch(asked=frozenset({"nl"}))


def test_another_language_can_still_be_asked_about_later() -> None:
    watch, asks = run([sure("nl")] * 3 + [sure("en")] * 3)
    assert asks == [None, None, "nl", None, None, "en"]
    assert watch.asked == {"nl", "en"}


def test_a_message_in_the_current_language_interrupts_the_run() -> None:
    watch, asks = run([sure("nl"), sure("nl"), sure(CURRENT), sure("nl"), sure("nl")])
    assert asks == [None] * 5
    assert watch == SwitchWatch("nl", 2)
    assert run([sure("nl")], watch)[1] == ["nl"]


def test_a_different_other_language_restarts_the_count() -> None:
    watch, asks = run([sure("nl"), sure("nl"), sure("en"), sure("nl"), sure("nl")])
    assert asks == [None] * 5
    assert watch == SwitchWatch("nl", 2)


def test_a_language_already_asked_about_interrupts_the_run() -> None:
    asked = SwitchWatch(asked=frozenset({"nl"}))
    watch, asks = run([sure("en"), sure("en"), sure("nl"), sure("en"), sure("en")], asked)
    assert asks == [None] * 5
    assert watch == SwitchWatch("en", 2, frozenset({"nl"}))


def test_uncertain_and_unknown_messages_neither_count_nor_interrupt() -> None:
    messages = [sure("nl"), unsure("nl"), None, unsure(CURRENT), sure("nl"), None, sure("nl")]
    watch, asks = run(messages)
    assert asks == [None] * 6 + ["nl"]
    assert watch == SwitchWatch(asked=frozenset({"nl"}))
    assert run([unsure("nl")] * 10) == (SwitchWatch(), [None] * 10)


def test_a_language_wegwijs_does_not_speak_is_ignored() -> None:
    assert run([sure("fa")] * 5) == (SwitchWatch(), [None] * 5)


def test_the_current_language_is_never_asked_about() -> None:
    assert run([sure("en")] * 5, current="en") == (SwitchWatch(), [None] * 5)


@pytest.mark.parametrize("watch", [
    SwitchWatch(),
    SwitchWatch("nl", 2),
    SwitchWatch("en", 1, frozenset({"nl", "ti"})),
    SwitchWatch(asked=frozenset({"ar", "ti", "en", "nl"})),
])
def test_round_trip_through_a_small_json_dict(watch: SwitchWatch) -> None:
    stored = json.loads(json.dumps(watch.to_dict()))
    assert SwitchWatch.from_dict(stored) == watch


def test_the_stored_form() -> None:
    assert SwitchWatch("en", 1, frozenset({"ti", "nl"})).to_dict() == {
        "candidate": "en", "count": 1, "asked": ["nl", "ti"]}
    assert SwitchWatch.from_dict({}) == SwitchWatch()


@pytest.mark.parametrize("data", [
    {"candidate": 3, "count": 1},
    {"candidate": "nl", "count": "2"},
    {"candidate": "nl", "count": True},
    {"candidate": "nl", "count": 0},
    {"candidate": None, "count": 2},
    {"count": -1},
    {"asked": "nl"},
    {"asked": ["nl", 4]},
])
def test_a_damaged_stored_form_is_refused(data: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        SwitchWatch.from_dict(data)
