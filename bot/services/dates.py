"""Dates in the reader's language (Babel), with the Arabic month names people know.

Syrians and Iraqis name the months كانون الثاني, شباط, ...; Sudanese and Egyptians (and
Babel's plain "ar") say يناير, فبراير, .... Arabic readers see both, so nobody has to guess,
written as the Arabic catalog writes them: "يناير/كانون الثاني".
"""

from __future__ import annotations

from datetime import date

from babel.dates import format_date

LEVANTINE = "ar_SY"


def month_name(language: str, when: date) -> str:
    name = format_date(when, "LLLL", locale=language)
    if language == "ar":
        return f"{name}/{format_date(when, 'LLLL', locale=LEVANTINE)}"
    return name


def month_year(language: str, when: date) -> str:
    if language == "ar":
        return f"{month_name(language, when)} {when.year}"
    return format_date(when, "LLLL y", locale=language)


def day_month_year(language: str, when: date) -> str:
    if language == "ar":
        return f"{when.day} {month_name(language, when)} {when.year}"
    return format_date(when, "d MMMM y", locale=language)


def weekday_day_month(language: str, when: date) -> str:
    """'Wednesday 9 December', with both Arabic month names (see the module's note)."""
    if language == "ar":
        return f"{format_date(when, 'EEEE', locale='ar')} {when.day} {month_name('ar', when)}"
    return format_date(when, "EEEE d MMMM", locale=language)


def short_weekday(language: str, when: date) -> str:
    """'Wed' (a button has little room)."""
    return format_date(when, "EEE", locale=language)
