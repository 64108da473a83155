"""Dated facts (knowledge/facts.yaml) rendered in the reader's language via Babel."""

from __future__ import annotations

from babel import Locale
from babel.numbers import format_currency

from bot.content.knowledge import Knowledge
from bot.content.schema import Fact
from bot.domain.facts import DatedValue
from bot.services.dates import day_month_year
from bot.services.turn import Turn


def render_fact(turn: Turn, knowledge: Knowledge, fact_id: str) -> str | None:
    """The amount that applies today, said with when it applies, and the next amount when
    it starts soon ("€ 385 per year (in 2026); from 1 January 2027: € 400 per year")."""
    found = knowledge.fact(fact_id, turn.today)
    if found is None:
        return None
    fact, reading = found
    _ = turn.gettext
    if reading.current is None:  # only announced or future values: say when they start
        assert reading.upcoming is not None
        return _starting(turn, fact, reading.upcoming)
    current = reading.current
    amount = _amount(turn, fact, current.value)
    if reading.unknown_year == turn.today.year:
        return turn.fill(_("{amount} (since {date}; the amount for {year} is not known here "
                           "yet: check the official website)"), amount=amount,
                         date=day_month_year(turn.language, current.starts),
                         year=str(reading.unknown_year))
    if current.starts.month == 1 and current.starts.day == 1:
        # The year makes clear which rule this is; amounts change every January or July.
        text = turn.fill(_("{amount} (in {year})"), amount=amount, year=str(current.starts.year))
    else:
        text = turn.fill(_("{amount} (from {date})"), amount=amount,
                         date=day_month_year(turn.language, current.starts))
    if reading.unknown_year is not None:  # next year's amount: people choose insurance now
        return turn.fill(_("{now}; the amount for {year} is not known here yet"), now=text,
                         year=str(reading.unknown_year))
    if reading.upcoming is None:
        return text
    nxt = reading.upcoming
    template = (_("{now}; expected from {date}: {amount}") if nxt.announced
                else _("{now}; from {date}: {amount}"))
    return turn.fill(template, now=text, date=day_month_year(turn.language, nxt.starts),
                     amount=_amount(turn, fact, nxt.value))


def _starting(turn: Turn, fact: Fact, value: DatedValue) -> str:
    _ = turn.gettext
    template = (_("{amount} (expected from {date})") if value.announced
                else _("{amount} (from {date})"))
    return turn.fill(template, amount=_amount(turn, fact, value.value),
                     date=day_month_year(turn.language, value.starts))


def _amount(turn: Turn, fact: Fact, value: float) -> str:
    _ = turn.gettext
    pattern = Locale.parse(turn.language).currency_formats["standard"].pattern
    if value.is_integer():  # "€ 385", not "€ 385,00"
        pattern = pattern.replace(".00", "")
    text = format_currency(value, "EUR", format=pattern, locale=turn.language,
                           currency_digits=False)
    per = {"EUR/hour": _("{amount} per hour"), "EUR/month": _("{amount} per month"),
           "EUR/year": _("{amount} per year")}.get(fact.unit)
    return turn.fill(per, amount=text) if per else text
