"""Dated facts (knowledge/facts.yaml) rendered in the reader's language via Babel."""

from __future__ import annotations

from babel import Locale
from babel.numbers import format_currency, format_decimal, format_percent

from bot.content.knowledge import Knowledge
from bot.services.turn import Turn


def render_fact(turn: Turn, knowledge: Knowledge, fact_id: str) -> str | None:
    found = knowledge.fact(fact_id, turn.today.year)
    if found is None:
        return None
    fact, value = found
    _ = turn.gettext
    amount = value.value
    if fact.unit.startswith("EUR"):
        pattern = Locale.parse(turn.language).currency_formats["standard"].pattern
        if amount.is_integer():  # "€ 385", not "€ 385,00"
            pattern = pattern.replace(".00", "")
        text = format_currency(amount, "EUR", format=pattern, locale=turn.language,
                               currency_digits=False)
        if fact.unit == "EUR/month":
            text = turn.fill(_("{amount} per month"), amount=text)
        elif fact.unit == "EUR/year":
            text = turn.fill(_("{amount} per year"), amount=text)
    elif fact.unit == "percent":
        text = format_percent(amount / 100, locale=turn.language)
    else:
        number = format_decimal(amount, locale=turn.language)
        units = {
            "days": turn.tr.ngettext("{n} day", "{n} days", int(amount)),
            "weeks": turn.tr.ngettext("{n} week", "{n} weeks", int(amount)),
            "months": turn.tr.ngettext("{n} month", "{n} months", int(amount)),
            "years": turn.tr.ngettext("{n} year", "{n} years", int(amount)),
            "hours": turn.tr.ngettext("{n} hour", "{n} hours", int(amount)),
        }
        text = units[fact.unit].format(n=number)
    # The year makes clear which rule this is; amounts change every January or July.
    return turn.fill(_("{amount} (in {year})"), amount=text, year=str(value.year))
