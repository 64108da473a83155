"""Loading flows/ (one YAML file per flow) and checking them against each other and the
knowledge base. Every problem names the file, the step and what is wrong."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from bot.content.knowledge import ContentError, Knowledge, load_yaml, step_line
from bot.content.schema import FACT_REF, Flow
from bot.content.telegram_html import html_problem

REQUIRED = (
    "registration-bsn", "digid", "health-insurance", "gp-and-emergency", "toeslagen",
    "tax-letters", "municipal-taxes", "inburgering", "begeleiding", "work-and-benefits",
    "diploma-recognition", "start-business", "driving-licence", "housing-and-energy", "debts",
    "children-and-school", "family-reunification", "legal-help", "official-letter",
    "language-learning",
)


def load_flows(flows_dir: Path, knowledge: Knowledge) -> dict[str, Flow]:
    """All flows, keyed by id, in the order of REQUIRED then the rest by name."""
    problems: list[str] = []
    flows: dict[str, Flow] = {}
    files: dict[str, Path] = {}
    for path in sorted(flows_dir.glob("*.yaml")):
        try:
            flow = load_yaml(path, Flow)
        except ContentError as exc:
            problems.extend(str(exc).splitlines())
            continue
        if flow.id != path.stem:
            problems.append(f"{path}:1: id {flow.id!r} must match the file name")
        if flow.id in flows:
            problems.append(f"{path}:1: flow id {flow.id!r} is also in {files[flow.id]}")
        flows[flow.id], files[flow.id] = flow, path
    problems += [f"{flows_dir}/{fid}.yaml:1: required flow is missing"
                 for fid in REQUIRED if fid not in flows]
    for flow_id, flow in flows.items():
        problems += [f"{files[flow_id]}:{line}: {p}"
                     for line, p in _cross_check(flow, flows, knowledge, files[flow_id])]
    problems += _endless_jumps(flows, files)
    problems += [f"knowledge/synonyms.yaml:1: synonyms for unknown flow {flow_id!r}"
                 for flow_id in knowledge.synonyms if flow_id not in flows]
    for (municipality, flow_id, step_id), override in knowledge.overrides.items():
        where = f"knowledge/municipalities/{municipality}/overrides.yaml:1: {flow_id}/{step_id}"
        target = flows.get(flow_id)
        step = target.steps.get(step_id) if target else None
        if step is None or not step.text:
            problems.append(f"{where}: the flow has no such step with a text")
        problems += [f"{where}: {p}" for p in _text_problems(override.text, knowledge)]
    problems += [f"knowledge/glossary.yaml:1: {t.term!r} links to unknown flow {t.flow!r}"
                 for t in knowledge.glossary if t.flow and t.flow not in flows]
    problems += [f"knowledge/calendar.yaml:1: {e.id!r} links to unknown flow {e.flow!r}"
                 for e in knowledge.calendar if e.flow and e.flow not in flows]
    if problems:
        raise ContentError("\n".join(problems))
    order = {fid: i for i, fid in enumerate(REQUIRED)}
    return dict(sorted(flows.items(), key=lambda kv: (order.get(kv[0], len(order)), kv[0])))


def _cross_check(flow: Flow, flows: dict[str, Flow], knowledge: Knowledge,
                 path: Path) -> list[tuple[int, str]]:
    text = path.read_text(encoding="utf-8")

    def line_of(step_id: str) -> int:
        return step_line(text, step_id)

    problems: list[tuple[int, str]] = []
    for step_id, step in flow.steps.items():
        where = f"step {step_id!r}"
        problems += [(line_of(step_id), f"{where} {p}")
                     for p in _text_problems(step.text or "", knowledge)]
        if step.kind == "goto" and step.flow not in flows:
            problems.append((line_of(step_id), f"{where} goes to unknown flow {step.flow!r}"))
        if step.kind == "glossary" and step.term and knowledge.term_by_word(step.term) is None:
            problems.append((line_of(step_id),
                             f"{where} shows {step.term!r}, which is not in the glossary"))
    for step_id in sorted(set(flow.steps) - _reachable(flow)):
        problems.append((line_of(step_id), f"step {step_id!r} cannot be reached from the start"))
    return problems


def _text_problems(text: str, knowledge: Knowledge) -> list[str]:
    """What is wrong with a text people will see: Telegram HTML, unknown facts."""
    problems = [f"uses unknown fact {fact_id!r}" for fact_id in FACT_REF.findall(text)
                if fact_id not in knowledge.facts]
    if problem := html_problem(text):
        problems.append(problem)
    return problems


def _reachable(flow: Flow) -> set[str]:
    seen: set[str] = set()
    pending = [flow.start]
    while pending:
        step_id = pending.pop()
        if step_id in seen:
            continue
        seen.add(step_id)
        step = flow.steps[step_id]
        pending += [step.next] if step.next else []
        pending += [o.next for o in step.options]
    return seen


Place = tuple[str, str]  # (flow id, step id)


def _passes_on(flows: dict[str, Flow], place: Place) -> list[Place]:
    """Where a step leads without waiting for the person: a goto shows its flow's start, and
    a question answered from the profile (by_municipality) follows one of its options.
    Every other step is shown and waits for a tap."""
    flow_id, step_id = place
    step = flows[flow_id].steps[step_id]
    if step.kind == "goto" and step.flow in flows:
        return [(step.flow, flows[step.flow].start)]
    if step.kind == "choice" and step.by_municipality:
        return [(flow_id, option.next) for option in step.options]
    return []


def _endless_jumps(flows: dict[str, Flow], files: dict[str, Path]) -> list[str]:
    """Jumps that come back to where they started before anything is shown: the bot would
    go round until it gives up, and the person would see a step without text."""
    problems: list[str] = []
    reported: set[frozenset[Place]] = set()
    for cycle in _cycles(flows):
        if frozenset(cycle) in reported:
            continue
        reported.add(frozenset(cycle))
        first = min(range(len(cycle)), key=lambda i: cycle[i])  # same report on every run
        cycle = cycle[first:] + cycle[:first]
        flow_id, step_id = cycle[0]
        line = step_line(files[flow_id].read_text(encoding="utf-8"), step_id)
        path = " → ".join(f"{f}/{s}" for f, s in [*cycle, cycle[0]])
        problems.append(f"{files[flow_id]}:{line}: step {step_id!r} jumps in a circle without "
                        f"a step that waits for the person: {path}")
    return problems


def _cycles(flows: dict[str, Flow]) -> Iterator[list[Place]]:
    """Cycles of pass-on links, by a depth-first walk: at least one in every loop."""
    done: set[Place] = set()
    for flow_id, flow in flows.items():
        for step_id in flow.steps:
            yield from _cycles_from(flows, (flow_id, step_id), [], done)


def _cycles_from(flows: dict[str, Flow], place: Place, path: list[Place],
                 done: set[Place]) -> Iterator[list[Place]]:
    if place in path:
        yield path[path.index(place):]
        return
    if place in done:
        return
    path.append(place)
    for target in _passes_on(flows, place):
        yield from _cycles_from(flows, target, path, done)
    path.pop()
    done.add(place)
