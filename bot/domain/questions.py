"""The profile questions asked at onboarding and again from /settings.

Pure rules: which step follows which answer, and which answers are valid. The wording
lives in services (gettext), the position of each person in the database.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from bot.domain import languages
from bot.domain.person import Begeleiding

UNKNOWN = "unknown"
# Guidance lasts at most about two years; a little margin for extensions.
YEARS_AHEAD = 3


class Flow(StrEnum):
    ONBOARDING = "onboarding"
    SETTINGS = "settings"
    DELETE = "delete"


class Step(StrEnum):
    LANGUAGE = "lang"
    CONSENT = "consent"
    MUNICIPALITY = "muni"
    BEGELEIDING = "beg"
    END_YEAR = "year"
    END_MONTH = "month"
    CONFIRM = "confirm"  # the delete confirmation


ONBOARDING_ORDER: tuple[Step, ...] = (
    Step.LANGUAGE,
    Step.CONSENT,
    Step.MUNICIPALITY,
    Step.BEGELEIDING,
)


def as_step(value: str) -> Step | None:
    """A stored or pressed step id as a Step; None when it is no (longer a) step."""
    try:
        return Step(value)
    except ValueError:
        return None


def end_years(today: date) -> list[int]:
    return [today.year + i for i in range(YEARS_AHEAD)]


def end_months(year: int, today: date) -> list[int]:
    """Months still to come in `year` (the current month counts: 'it ends this month')."""
    if year < today.year:
        return []
    first = today.month if year == today.year else 1
    return list(range(first, 13))


def is_valid(step: Step, value: str, *, municipalities: set[str], today: date,
             year: int | None = None) -> bool:
    match step:
        case Step.LANGUAGE:
            return value in languages.CODES
        case Step.CONSENT:
            return value in ("yes", "no")
        case Step.MUNICIPALITY:
            return value in municipalities
        case Step.BEGELEIDING:
            return value in {b.value for b in Begeleiding}
        case Step.END_YEAR:
            return value == UNKNOWN or (value.isdigit() and int(value) in end_years(today))
        case Step.END_MONTH:
            if value == UNKNOWN:
                return True
            return (year is not None and value.isdigit()
                    and int(value) in end_months(year, today))
        case Step.CONFIRM:
            return value in ("yes", "no")
    return False


def next_step(flow: Flow, step: Step, value: str) -> Step | None:
    """The step after answering `step` with `value`; None when the flow is complete."""
    if step == Step.BEGELEIDING and value == Begeleiding.RUNNING:
        return Step.END_YEAR
    if step == Step.END_YEAR and value != UNKNOWN:
        return Step.END_MONTH
    if flow != Flow.ONBOARDING:
        return None
    base = Step.BEGELEIDING if step in (Step.END_YEAR, Step.END_MONTH) else step
    if step == Step.CONSENT and value == "no":
        return None
    index = ONBOARDING_ORDER.index(base)
    return ONBOARDING_ORDER[index + 1] if index + 1 < len(ONBOARDING_ORDER) else None



@dataclass
class Conversation:
    """Where a person is: which flow, which step, and the answers collected so far.

    `flow` is a Flow for the built-in questions, or "topic:<id>" for an explainer flow
    from flows/; `step` is a Step or that flow's step id."""

    flow: str
    step: str
    data: dict[str, str] = field(default_factory=dict)
