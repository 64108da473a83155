"""The questions of a sleutelpersoon's profile, asked at the end of an invitation and again
from /profile, one field at a time.

Answers so far live in the person's conversation (`draft`: field → text), so a restart loses
nothing; every pressed value is checked against what may be chosen (buttons can be old or
forged). Language and weekday names come from CLDR (Babel) in the reader's language.
"""

from __future__ import annotations

import re
from enum import StrEnum

from babel import Locale

from bot.content.schema import Flow as TopicFlow
from bot.domain import availability
from bot.domain.availability import Part, Preset, Slot
from bot.domain.replies import Button, Keyboard, Reply, rows
from bot.domain.sleutelpersoon import DEFAULT_CAPACITY, MAX_DISPLAY_NAME, Profile
from bot.services.topics import Topics
from bot.services.turn import Turn, button


class Field(StrEnum):
    """A profile question; also its step id in a conversation and its button name."""

    NAME = "name"
    SPOKEN = "spk"
    MUNICIPALITIES = "mun"
    TOPICS = "top"
    HOURS = "hrs"
    DAYS = "day"  # the per-day choice behind HOURS
    CAPACITY = "cap"


class Result(StrEnum):
    STAY = "stay"  # still on this question (a choice was toggled): ask it again
    DONE = "done"  # answered: the draft holds the answer
    EMPTY = "empty"  # Done with nothing chosen where something must be
    DAYS = "days"  # from HOURS to the per-day choice


# Asked at the end of an invitation; municipalities come from the invitation.
SETUP: tuple[Field, ...] = (Field.NAME, Field.SPOKEN, Field.TOPICS, Field.HOURS,
                            Field.CAPACITY)
# Offered as buttons; any other ISO 639 code can be typed.
COMMON_LANGUAGES = ("ti", "ar", "fa", "prs", "so", "am", "en", "nl", "tr", "uk")
# CLDR names Dari as the Afghan variant of Persian.
_CLDR_ALIASES = {"prs": "fa_AF"}
KNOWN_LANGUAGES = frozenset(
    c for c in Locale.parse("en").languages if re.fullmatch(r"[a-z]{2,3}", str(c))) | set(
    _CLDR_ALIASES)
CAPACITIES = range(1, 7)
_SEPARATORS = re.compile(r"[\s,;/]+")
_DONE = "done"


def _(message: str) -> str:
    """Mark a string for extraction; it is translated where it is shown."""
    return message


PRESET_LABELS: dict[Preset, str] = {
    Preset.ANY: _("Any time"),
    Preset.OFFICE: _("Weekdays 9:00–17:00"),
    Preset.EVENINGS: _("Weekday evenings 17:00–21:00"),
    Preset.WEEKENDS: _("Weekends 9:00–21:00"),
}


def language_name(code: str, reader: str) -> str:
    names = Locale.parse(reader).languages
    return names.get(_CLDR_ALIASES.get(code, code)) or code


def codes(draft: dict[str, str], field: Field) -> list[str]:
    return [c for c in draft.get(field.value, "").split(",") if c]


def _toggle(draft: dict[str, str], field: Field, value: str) -> None:
    chosen = codes(draft, field)
    chosen = [c for c in chosen if c != value] if value in chosen else [*chosen, value]
    draft[field.value] = ",".join(chosen)


def draft_of(profile: Profile) -> dict[str, str]:
    return {
        Field.NAME.value: profile.display_name,
        Field.SPOKEN.value: ",".join(sorted(profile.languages)),
        Field.MUNICIPALITIES.value: ",".join(sorted(profile.municipalities)),
        Field.TOPICS.value: ",".join(sorted(profile.topics)),
        Field.HOURS.value: availability.encode(availability.slots(profile.windows)),
        Field.CAPACITY.value: str(profile.capacity),
    }


def profile_of(telegram_id: int, draft: dict[str, str], *, paused: bool = False) -> Profile:
    """A Profile from complete answers (ValueError if they do not make one)."""
    return Profile(
        telegram_id=telegram_id, display_name=draft.get(Field.NAME.value, ""),
        languages=frozenset(codes(draft, Field.SPOKEN)),
        municipalities=frozenset(codes(draft, Field.MUNICIPALITIES)),
        topics=frozenset(codes(draft, Field.TOPICS)),
        windows=availability.windows(availability.decode(draft.get(Field.HOURS.value, ""))),
        capacity=int(draft.get(Field.CAPACITY.value) or DEFAULT_CAPACITY), paused=paused)


def _slot_label(turn: Turn, slot: Slot) -> str:
    day, part = slot
    start, end = availability.HOURS[part]
    name = Locale.parse(turn.language).days["format"]["abbreviated"][day]
    return f"{name} {start.hour}–{end.hour}"


class ProfileQuestions:
    def __init__(self, topics: Topics, municipality_names: dict[str, str]) -> None:
        self._topics = topics
        self._municipalities = municipality_names

    @property
    def flows(self) -> dict[str, TopicFlow]:
        return self._topics.flows

    # -- asking -------------------------------------------------------------------------

    def ask(self, turn: Turn, field: Field, draft: dict[str, str], scope: str,
            municipalities: list[str], extra: Keyboard = ()) -> Reply:
        """The question for `field`, its buttons marked with what the draft holds."""
        _ = turn.gettext
        done = button(_("✅ Done"), scope, _DONE, field.value)
        match field:
            case Field.NAME:
                return Reply(turn.fill(_(
                    "Which name should newcomers see? Type a first name or a nickname, "
                    "at most {count} characters."), count=str(MAX_DISPLAY_NAME)), extra)
            case Field.SPOKEN:
                chosen = codes(draft, field)
                shown = [*COMMON_LANGUAGES, *(c for c in chosen if c not in COMMON_LANGUAGES)]
                buttons = [self._check(language_name(c, turn.language), c in chosen, scope,
                                       field, c) for c in shown]
                return Reply(_("Which languages do you speak with newcomers? Tap each one, "
                               "or type other language codes such as ku or ps. Then tap "
                               "Done."), (*rows(buttons, 2), (done,), *extra))
            case Field.MUNICIPALITIES:
                chosen = codes(draft, field)
                buttons = [self._check(self._municipalities.get(m, m), m in chosen, scope,
                                       field, m) for m in municipalities]
                return Reply(_("In which municipalities do you help newcomers? Tap each one, "
                               "then tap Done."), (*rows(buttons, 2), (done,), *extra))
            case Field.TOPICS:
                chosen = codes(draft, field)
                buttons = [self._check(self._topics.title(turn, f), f.id in chosen, scope,
                                       field, f.id) for f in self.flows.values()]
                return Reply(_("Which topics do you know well? Tap each one, then tap Done. "
                               "Choosing none is fine."), (*rows(buttons, 1), (done,), *extra))
            case Field.HOURS:
                current = availability.preset_of(availability.windows(
                    availability.decode(draft.get(field.value, ""))))
                buttons = [self._check(_(label), preset is current and field.value in draft,
                                       scope, field, preset.value)
                           for preset, label in PRESET_LABELS.items()]
                buttons.append(button(_("Choose per day"), scope, field, "day"))
                return Reply(_("When can newcomers usually reach you? Choose what fits best. "
                               "With /profile you can change it or pause at any time."),
                             (*rows(buttons, 1), *extra))
            case Field.DAYS:
                chosen_slots = availability.decode(draft.get(field.value, ""))
                grid = tuple(tuple(
                    self._check(_slot_label(turn, (day, part)), (day, part) in chosen_slots,
                                scope, field, f"{day}{part.value}") for part in Part)
                    for day in availability.DAYS)
                return Reply(_("Tap the parts of the week in which you can help, then tap "
                               "Done."), (*grid, (done,), *extra))
            case Field.CAPACITY:
                current_cap = draft.get(field.value)
                buttons = [self._check(str(n), str(n) == current_cap, scope, field, str(n))
                           for n in CAPACITIES]
                return Reply(_("How many conversations can you have open at the same time?"),
                             (*rows(buttons, 3), *extra))

    @staticmethod
    def _check(label: str, chosen: bool, scope: str, field: Field, value: str) -> Button:
        return button(("✓ " if chosen else "") + label, scope, field.value, value)

    # -- answering ----------------------------------------------------------------------

    def press(self, field: Field, name: str, value: str, draft: dict[str, str],
              municipalities: list[str]) -> Result | None:
        """A button of the question `field`; None when it is not one of its valid buttons."""
        if name == _DONE:
            return self._done(field, value, draft) if value == field.value else None
        if name != field.value:
            return None
        match field:
            case Field.SPOKEN if value in KNOWN_LANGUAGES:
                _toggle(draft, field, value)
                return Result.STAY
            case Field.MUNICIPALITIES if value in municipalities:
                _toggle(draft, field, value)
                return Result.STAY
            case Field.TOPICS if value in self.flows:
                _toggle(draft, field, value)
                return Result.STAY
            case Field.HOURS if value == "day":
                current = availability.decode(draft.get(Field.HOURS.value, ""))
                draft[Field.DAYS.value] = availability.encode(current)
                return Result.DAYS
            case Field.HOURS if value in {p.value for p in Preset}:
                draft[field.value] = availability.encode(availability.PRESETS[Preset(value)])
                return Result.DONE
            case Field.DAYS if (slot := availability.parse_slot(value)) is not None:
                chosen = set(availability.decode(draft.get(field.value, "")))
                chosen ^= {slot}
                draft[field.value] = availability.encode(chosen)
                return Result.STAY
            case Field.CAPACITY if value.isdigit() and int(value) in CAPACITIES:
                draft[field.value] = value
                return Result.DONE
        return None

    @staticmethod
    def _done(field: Field, value: str, draft: dict[str, str]) -> Result | None:
        if field is Field.TOPICS:
            draft.setdefault(field.value, "")
            return Result.DONE
        if field in (Field.SPOKEN, Field.MUNICIPALITIES):
            return Result.DONE if codes(draft, field) else Result.EMPTY
        if field is Field.DAYS:
            chosen = draft.pop(Field.DAYS.value, "")
            if not chosen:
                return Result.EMPTY
            draft[Field.HOURS.value] = chosen
            return Result.DONE
        return None

    def typed(self, turn: Turn, field: Field, text: str, draft: dict[str, str]
              ) -> tuple[Result | None, str | None]:
        """A typed answer: (result, a note to show first). (None, None): buttons only here."""
        _ = turn.gettext
        if field is Field.NAME:
            name = " ".join(text.split())
            if not 1 <= len(name) <= MAX_DISPLAY_NAME:
                return Result.STAY, turn.fill(_(
                    "Please type a name of 1 to {count} characters."),
                    count=str(MAX_DISPLAY_NAME))
            draft[field.value] = name
            return Result.DONE, None
        if field is Field.SPOKEN:
            typed = [c.lower() for c in _SEPARATORS.split(text.strip()) if c]
            chosen = codes(draft, field)
            draft[field.value] = ",".join([*chosen, *(c for c in typed
                                                      if c in KNOWN_LANGUAGES
                                                      and c not in chosen)])
            unknown = [c for c in typed if c not in KNOWN_LANGUAGES]
            if unknown or not typed:
                return Result.STAY, turn.fill(_(
                    "I do not know the language code {code}. Please use a two- or "
                    "three-letter ISO 639 code, for example ku or ps."),
                    code=(unknown or [text.strip()])[0][:20])
            return Result.STAY, None
        return None, None

    @staticmethod
    def empty_note(turn: Turn, field: Field) -> str:
        return turn.gettext("Please choose at least one.")

    # -- showing ------------------------------------------------------------------------

    def summary(self, turn: Turn, profile: Profile) -> str:
        """The profile as the sleutelpersoon sees it (Telegram HTML, values escaped)."""
        _ = turn.gettext
        spoken = ", ".join(language_name(c, turn.language) for c in sorted(profile.languages))
        places = ", ".join(self._municipalities.get(m, m) for m in sorted(profile.municipalities))
        topics = ", ".join(self._topics.title(turn, self.flows[t])
                           for t in sorted(profile.topics) if t in self.flows) or _("none")
        lines = [
            _("<b>Your profile</b>"),
            turn.fill(_("Name newcomers see: {name}"), name=profile.display_name),
            turn.fill(_("Languages: {languages}"), languages=spoken),
            turn.fill(_("Municipalities: {municipalities}"), municipalities=places),
            turn.fill(_("Topics you know well: {topics}"), topics=topics),
            turn.fill(_("Available: {hours}"), hours=self.hours(turn, profile)),
            turn.fill(_("Open conversations at most: {count}"), count=str(profile.capacity)),
            _("New questions: paused") if profile.paused else _("New questions: on"),
        ]
        return "\n".join(lines)

    @staticmethod
    def hours(turn: Turn, profile: Profile) -> str:
        chosen = availability.slots(profile.windows)
        preset = availability.preset_of(profile.windows)
        if preset is not None:
            return turn.gettext(PRESET_LABELS[preset])
        days = []
        for day in availability.DAYS:
            parts = [_slot_label(turn, (day, p)) for p in Part if (day, p) in chosen]
            if parts:
                first, *rest = parts
                days.append(", ".join([first, *(p.split(" ", 1)[1] for p in rest)]))
        return "; ".join(days)
