"""Dated facts (knowledge/facts.yaml) rendered in the reader's language via Babel.

An amount sits inside a sentence ("It is {fact:eigen_risico} for each adult"), so it is
said short, with when it applies; what else the reader should know about it (a new value
soon, a year the facts file does not know yet) becomes a note below the step's text.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from babel import Locale
from babel.numbers import format_currency

from bot.content.schema import Fact
from bot.domain.facts import DatedValue, reading_on
from bot.domain.replies import escape
from bot.services.dates import day_month_year
from bot.services.turn import Turn


@dataclass
class RenderedFact:
    inline: str  # replaces the placeholder
    notes: list[str] = field(default_factory=list)  # said once below the text


def render_fact(turn: Turn, fact: Fact) -> RenderedFact:
    """E.g. inline "€385 per year (in 2026)", notes ["From 1 January 2027: €400 per year
    instead of €385 per year."] from 1 November."""
    _ = turn.gettext
    reading = reading_on(fact.dated(), turn.today)
    shown = reading.current or reading.upcoming
    assert shown is not None  # a fact has at least one value (schema)
    rendered = RenderedFact(_when(turn, fact, shown))
    if reading.current is not None and reading.upcoming is not None:
        nxt = reading.upcoming
        template = (_("Expected from {date}: {new} instead of {old}.") if nxt.announced
                    else _("From {date}: {new} instead of {old}."))
        rendered.notes.append(turn.compose(
            template, date=escape(day_month_year(turn.language, nxt.starts)),
            new=_amount(turn, fact, nxt.value), old=_amount(turn, fact, reading.current.value)))
    if reading.missing_year is not None:
        rendered.notes.append(turn.fill(
            _("We do not know the amounts for {year} yet: check the official website."),
            year=str(reading.missing_year)))
    return rendered


def _when(turn: Turn, fact: Fact, value: DatedValue) -> str:
    """The amount with when it applies: the year for a January value, else the date."""
    _ = turn.gettext
    amount = _amount(turn, fact, value.value)
    if _is_new_year(value.starts):
        template = _("{amount} (expected for {year})") if value.announced else _(
            "{amount} (in {year})")
        return turn.compose(template, amount=amount, year=str(value.starts.year))
    template = _("{amount} (expected from {date})") if value.announced else _(
        "{amount} (from {date})")
    return turn.compose(template, amount=amount,
                        date=escape(day_month_year(turn.language, value.starts)))


def _is_new_year(day: date) -> bool:
    return day.month == 1 and day.day == 1


def _amount(turn: Turn, fact: Fact, value: float) -> str:
    _ = turn.gettext
    pattern = Locale.parse(turn.language).currency_formats["standard"].pattern
    if value.is_integer():  # "€ 385", not "€ 385,00"
        pattern = pattern.replace(".00", "")
    number = escape(format_currency(value, "EUR", format=pattern, locale=turn.language,
                                    currency_digits=False))
    per = {"EUR/hour": _("{amount} per hour"), "EUR/month": _("{amount} per month"),
           "EUR/year": _("{amount} per year")}.get(fact.unit)
    return turn.compose(per, amount=number) if per else number
