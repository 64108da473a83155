"""Curated knowledge from knowledge/: validated with pydantic at load time."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, Field, HttpUrl, ValidationError

from bot.content.event_files import DemoEvents, EventsFile
from bot.content.schema import (
    Calendar,
    Category,
    CheckinSchedule,
    EmergencySignals,
    Fact,
    Facts,
    Glossary,
    GlossaryTerm,
    Organisation,
    Organisations,
    Override,
    Overrides,
    Synonyms,
)
from bot.domain import checkins as c

OTHER_MUNICIPALITY = "other"
M = TypeVar("M", bound=BaseModel)


class ContentError(Exception):
    """A content file is invalid; the message names the file and what is wrong."""


class Municipality(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z0-9-]{2,24}$")  # fits callback data (bot.domain.actions)
    name: str = Field(min_length=2)
    website: HttpUrl


class MunicipalityFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    last_checked: date
    municipalities: list[Municipality] = Field(min_length=1)


class Knowledge:
    """Everything in knowledge/: municipalities, glossary, dated facts, organisations and
    the seasonal calendar. Loading validates every file and reports all problems at once."""

    def __init__(self, municipalities: list[Municipality], glossary: Glossary, facts: Facts,
                 national: list[Organisation], local: dict[str, list[Organisation]],
                 calendar: Calendar,
                 overrides: dict[tuple[str, str, str], Override] | None = None,
                 synonyms: Synonyms | None = None,
                 emergency: EmergencySignals | None = None,
                 checkins: CheckinSchedule | None = None,
                 event_files: dict[str, EventsFile] | None = None) -> None:
        self.municipalities = municipalities
        self._by_id = {m.id: m for m in municipalities}
        self.glossary = glossary.terms
        self._terms = {t.id: t for t in glossary.terms}
        # Every spelling people may type (term and variants, lowercase) → its term.
        self.words = {w.lower(): t for t in glossary.terms for w in [t.term, *t.variants]}
        self.facts = facts.facts
        self.national = national
        self.local = local
        self.calendar = calendar.entries
        self.calendar_checked = calendar.last_checked
        # Words people use for each flow, per language (knowledge/synonyms.yaml, optional).
        self.synonyms: dict[str, dict[str, list[str]]] = {
            flow: {lang: list(found) for lang, found in by_lang.items()}
            for flow, by_lang in (synonyms.synonyms if synonyms else {}).items()}
        # (municipality, flow, step) → that municipality's text for the step.
        self.overrides = overrides or {}
        # Emergency keywords per language (knowledge/emergency.yaml).
        self.emergency: dict[str, list[str]] = {
            lang: list(found) for lang, found in (emergency.words if emergency else {}).items()}
        # When Wegwijs writes after begeleiding ends (knowledge/checkins.yaml).
        self._checkin_default = c.schedule(checkins.default) if checkins else \
            c.DEFAULT_SCHEDULE
        self._checkin_local = {m: c.schedule(days) for m, days in
                               (checkins.municipalities if checkins else {}).items()}
        # Real events and calendar feeds per municipality (events.yaml, optional).
        self.event_files = event_files or {}

    @classmethod
    def load(cls, knowledge_dir: Path) -> Knowledge:
        problems: list[str] = []

        def load(path: Path, model: type[M], default: M) -> M:
            try:
                return load_yaml(path, model)
            except ContentError as exc:
                problems.extend(str(exc).splitlines())
                return default

        municipalities = load(
            knowledge_dir / "municipalities.yaml", MunicipalityFile,
            MunicipalityFile.model_construct(last_checked=date.min, municipalities=[]))
        glossary = load(knowledge_dir / "glossary.yaml", Glossary,
                        Glossary.model_construct(last_checked=date.min, terms=[]))
        facts = load(knowledge_dir / "facts.yaml", Facts, Facts(facts={}))
        calendar = load(knowledge_dir / "calendar.yaml", Calendar,
                        Calendar(last_checked=date.min, entries=[]))
        national = load(knowledge_dir / "national" / "organisations.yaml", Organisations,
                        Organisations(organisations=[])).organisations
        local = {m.id: load(knowledge_dir / "municipalities" / m.id / "organisations.yaml",
                            Organisations, Organisations(organisations=[])).organisations
                 for m in municipalities.municipalities}
        overrides: dict[tuple[str, str, str], Override] = {}
        for m in municipalities.municipalities:
            path = knowledge_dir / "municipalities" / m.id / "overrides.yaml"
            if path.exists():
                loaded = load(path, Overrides, Overrides.model_construct(
                    municipality=m.id, last_checked=date.min, overrides=[]))
                if loaded.overrides and loaded.municipality != m.id:
                    problems.append(f"{path}:1: municipality must be {m.id!r}")
                overrides |= {(m.id, o.flow, o.step): o for o in loaded.overrides}
        synonyms = Synonyms(synonyms={})
        if (knowledge_dir / "synonyms.yaml").exists():  # optional
            synonyms = load(knowledge_dir / "synonyms.yaml", Synonyms, synonyms)
        # Required, unlike synonyms: without it emergencies would silently go unnoticed.
        emergency = load(knowledge_dir / "emergency.yaml", EmergencySignals,
                         EmergencySignals.model_construct(last_checked=date.min, words={}))
        checkins = load(knowledge_dir / "checkins.yaml", CheckinSchedule,
                        CheckinSchedule(last_checked=date.min, default=[7]))
        problems += [f"{knowledge_dir / 'checkins.yaml'}:1: unknown municipality {m!r}"
                     for m in checkins.municipalities
                     if m not in {x.id for x in municipalities.municipalities}]
        event_files: dict[str, EventsFile] = {}
        for m in municipalities.municipalities:
            path = knowledge_dir / "municipalities" / m.id / "events.yaml"
            if path.exists():
                found = load(path, EventsFile, EventsFile.model_construct(
                    municipality=m.id, last_checked=date.min, feeds=[], events=[]))
                if found.municipality != m.id:
                    problems.append(f"{path}:1: municipality must be {m.id!r}")
                event_files[m.id] = found
        problems += _duplicates(knowledge_dir, municipalities, national, local)
        problems += _glossary_clashes(knowledge_dir / "glossary.yaml", glossary)
        known = {o.id for o in [*national, *(o for orgs in local.values() for o in orgs)]}
        problems += [f"{knowledge_dir}/municipalities/{m}/events.yaml:1: unknown organiser "
                     f"{organiser!r}" for m, f in event_files.items()
                     for organiser in [*(e.organiser for e in f.events),
                                       *(x.organiser for x in f.feeds)]
                     if organiser and organiser not in known]
        if problems:
            raise ContentError("\n".join(problems))
        return cls(municipalities.municipalities, glossary, facts, national, local, calendar,
                   overrides, synonyms, emergency, checkins, event_files)

    def checkin_schedule(self, municipality_id: str | None) -> tuple[c.Step, ...]:
        """The check-in schedule where the person lives (the default elsewhere)."""
        return self._checkin_local.get(municipality_id or "", self._checkin_default)

    def municipality(self, municipality_id: str) -> Municipality | None:
        return self._by_id.get(municipality_id)

    def municipality_ids(self) -> set[str]:
        """Valid answers to 'where do you live', including 'another municipality'."""
        return set(self._by_id) | {OTHER_MUNICIPALITY}

    def term(self, term_id: str) -> GlossaryTerm | None:
        return self._terms.get(term_id)

    def term_by_word(self, word: str) -> GlossaryTerm | None:
        return self.words.get(" ".join(word.lower().split()))

    def emergency_words(self) -> tuple[str, ...]:
        """The emergency keywords of every language together, once each: people mix
        languages (a Tigrinya speaker may well write "ambulance")."""
        return tuple(dict.fromkeys(w for found in self.emergency.values() for w in found))

    def fact(self, fact_id: str) -> Fact | None:
        return self.facts.get(fact_id)

    def organisation(self, org_id: str) -> Organisation | None:
        everything = [*self.national, *(o for orgs in self.local.values() for o in orgs)]
        return next((o for o in everything if o.id == org_id), None)

    def organisations(self, category: Category, municipality: str | None) -> list[Organisation]:
        """Local organisations of the category first, then national ones."""
        local = self.local.get(municipality or "", [])
        return [o for o in [*local, *self.national] if category in o.categories]


def _duplicates(root: Path, municipalities: MunicipalityFile, national: list[Organisation],
                local: dict[str, list[Organisation]]) -> list[str]:
    problems = []
    ids = [m.id for m in municipalities.municipalities]
    if len(set(ids)) != len(ids) or OTHER_MUNICIPALITY in ids:
        problems.append(f"{root / 'municipalities.yaml'}:1: duplicate or reserved ids in {ids}")
    org_ids = [o.id for o in national] + [o.id for orgs in local.values() for o in orgs]
    for dup in sorted({i for i in org_ids if org_ids.count(i) > 1}):
        problems.append(f"{root}/**/organisations.yaml:1: organisation id {dup!r} is used twice")
    return problems


def _glossary_clashes(path: Path, glossary: Glossary) -> list[str]:
    """Each word people may type belongs to one term, and each term has its own id.

    A term's id is derived from the term (lowercase ascii, cut at 24 characters) and sits in
    the callback data of messages already sent, so the derivation stays as it is; two terms
    that give the same id would make one of them show the other, so that is refused here.
    """
    found: list[tuple[int, str]] = []  # (index of the term, what is wrong)
    words: dict[str, str] = {}
    ids: dict[str, str] = {}
    for index, term in enumerate(glossary.terms):
        for word in [term.term, *term.variants]:
            key = word.lower()
            if key in words and words[key] != term.term:
                found.append((index, f"{word!r} belongs to both {words[key]!r} and "
                                     f"{term.term!r}"))
            words[key] = term.term
        if not term.id:
            found.append((index, f"{term.term!r} gives no id (it needs a-z or 0-9)"))
        elif ids.setdefault(term.id, term.term) != term.term:
            found.append((index, f"{term.term!r} and {ids[term.id]!r} both get the glossary "
                                 f"id {term.id!r}; change one of the terms"))
    if not found:
        return []
    lines = _term_lines(path, len(glossary.terms))  # read again only to name the lines
    return [f"{path}:{lines[index]}: {problem}" for index, problem in found]


def _term_lines(path: Path, count: int) -> list[int]:
    """The line of each glossary term (1 where the file cannot be read again)."""
    try:
        root = yaml.compose(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return [1] * count
    return [_line_of(root, ("terms", index)) for index in range(count)]


def load_demo_events(knowledge_dir: Path) -> DemoEvents:
    """knowledge/demo/events.yaml: invented events, for the console and demos only."""
    return load_yaml(knowledge_dir / "demo" / "events.yaml", DemoEvents)


def load_yaml(path: Path, model: type[M]) -> M:
    """Parse and validate one YAML file; errors carry "file:line: what is wrong"."""
    try:
        text = path.read_text(encoding="utf-8")
        raw = yaml.safe_load(text)
    except FileNotFoundError as exc:
        raise ContentError(f"{path}:1: file is missing") from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}" if mark is not None else ""
        raise ContentError(f"{path}{where}: invalid YAML: {exc}") from exc
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        root = yaml.compose(text)
        problems = []
        for err in exc.errors():
            where = ".".join(map(str, err["loc"]))
            named = re.search(r"step '([^']+)'", err["msg"])
            line = (_line_of(root, err["loc"]) if err["loc"]
                    else step_line(text, named.group(1)) if named else 1)
            problems.append(f"{path}:{line}: {where + ': ' if where else ''}{err['msg']}")
        raise ContentError("\n".join(problems)) from exc


def step_line(text: str, step_id: str) -> int:
    """The line where a flow file defines a step (1 when not found). Looked up in `steps`,
    so a step called "start" is not mistaken for the flow's `start:`."""
    try:
        root = yaml.compose(text)
    except yaml.YAMLError:
        return 1
    steps = _child(root, "steps")
    if not isinstance(steps, yaml.MappingNode):
        return 1
    return next((k.start_mark.line + 1 for k, _v in steps.value if k.value == step_id), 1)


def _child(node: Any, key: str) -> Any:
    if not isinstance(node, yaml.MappingNode):
        return None
    return next((v for k, v in node.value if k.value == key), None)


def _line_of(node: Any, loc: tuple[int | str, ...]) -> int:
    """1-based line of the YAML node at a pydantic error location (the nearest parent)."""
    line = node.start_mark.line + 1 if node is not None else 1
    for key in loc:
        if isinstance(node, yaml.MappingNode):
            node = next((v for k, v in node.value if k.value == key), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) \
                and key < len(node.value):
            node = node.value[key]
        else:
            break
        if node is None:
            break
        line = node.start_mark.line + 1
    return line
