"""Dated facts (knowledge/facts.yaml) rendered in the reader's language via Babel."""

from __future__ import annotations

from babel import Locale
from babel.numbers import format_currency

from bot.content.knowledge import Knowledge
from bot.services.turn import Turn


def render_fact(turn: Turn, knowledge: Knowledge, fact_id: str) -> str | None:
    found = knowledge.fact(fact_id, turn.today.year)
    if found is None:
        return None
    fact, value = found
    _ = turn.gettext
    pattern = Locale.parse(turn.language).currency_formats["standard"].pattern
    if value.value.is_integer():  # "€ 385", not "€ 385,00"
        pattern = pattern.replace(".00", "")
    text = format_currency(value.value, "EUR", format=pattern, locale=turn.language,
                           currency_digits=False)
    if fact.unit == "EUR/month":
        text = turn.fill(_("{amount} per month"), amount=text)
    elif fact.unit == "EUR/year":
        text = turn.fill(_("{amount} per year"), amount=text)
    # The year makes clear which rule this is; amounts change every January or July.
    return turn.fill(_("{amount} (in {year})"), amount=text, year=str(value.year))
