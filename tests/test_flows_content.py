"""Flows as data: validation names file and step; diagrams; sources and dates on every flow."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bot.content.flows import REQUIRED, load_flows
from bot.content.knowledge import ContentError, Knowledge
from bot.settings import PROJECT_ROOT

KNOWLEDGE = Knowledge.load(PROJECT_ROOT / "knowledge")


def copy_flows(tmp_path: Path) -> Path:
    target = tmp_path / "flows"
    shutil.copytree(PROJECT_ROOT / "flows", target)
    return target


def test_all_required_flows_load_with_sources_and_dates() -> None:
    flows = load_flows(PROJECT_ROOT / "flows", KNOWLEDGE)
    assert list(flows)[: len(REQUIRED)] == list(REQUIRED)
    for flow in flows.values():
        assert flow.sources and flow.last_checked.year >= 2026
        kinds = {step.kind for step in flow.steps.values()}
        assert "choice" in kinds, f"{flow.id} asks nothing to narrow down the situation"


def test_emergency_numbers_come_first() -> None:
    flow = load_flows(PROJECT_ROOT / "flows", KNOWLEDGE)["gp-and-emergency"]
    first = flow.steps[flow.start].text or ""
    assert "112" in first and "huisartsenpost" in first


def test_a_broken_step_link_names_file_and_step(tmp_path: Path) -> None:
    flows = copy_flows(tmp_path)
    path = flows / "digid.yaml"
    path.write_text(path.read_text().replace("next: have-it", "next: nowhere", 1))
    with pytest.raises(ContentError) as error:
        load_flows(flows, KNOWLEDGE)
    assert f"{path}:" in str(error.value) and "nowhere" in str(error.value)


def test_unknown_glossary_word_fact_and_flow_are_refused(tmp_path: Path) -> None:
    flows = copy_flows(tmp_path)
    path = flows / "debts.yaml"
    text = path.read_text()
    text = text.replace("term: deurwaarder", "term: nonsensewoord", 1)
    path.write_text(text + "\n  extra-step:\n    kind: goto\n    flow: nowhere\n")
    with pytest.raises(ContentError) as error:
        load_flows(flows, KNOWLEDGE)
    message = str(error.value)
    assert "nonsensewoord" in message and "unknown flow 'nowhere'" in message
    assert "cannot be reached" in message


def test_a_missing_required_flow_is_reported(tmp_path: Path) -> None:
    flows = copy_flows(tmp_path)
    (flows / "debts.yaml").unlink()
    with pytest.raises(ContentError, match=r"debts\.yaml:1: required flow is missing"):
        load_flows(flows, KNOWLEDGE)


def test_content_diagram_prints_mermaid() -> None:
    result = subprocess.run([sys.executable, "-m", "bot", "content", "diagram", "digid"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("flowchart TD")
    assert "s_intro" in result.stdout and "-->" in result.stdout


def test_misnested_html_in_a_step_text_names_file_and_step(tmp_path: Path) -> None:
    flows = copy_flows(tmp_path)
    path = flows / "debts.yaml"
    path.write_text(path.read_text().replace("next: who", "next: broken", 1)
                    + "  broken:\n    kind: message\n    text: <b><i>pay</b></i>\n"
                    + "    next: who\n")
    with pytest.raises(ContentError) as error:
        load_flows(flows, KNOWLEDGE)
    line = len(path.read_text().splitlines()) - 3
    assert str(error.value).splitlines() == [
        f"{path}:{line}: step 'broken' is not valid Telegram HTML: Unmatched end tag "
        'at byte offset 9, expected "</i>", found "</b>"']


def copy_knowledge(tmp_path: Path) -> Path:
    target = tmp_path / "knowledge"
    shutil.copytree(PROJECT_ROOT / "knowledge", target)
    return target


def test_glossary_terms_whose_ids_collide_are_refused(tmp_path: Path) -> None:
    """Ids are the term cut to 24 characters and sit in sent buttons: a clash must fail."""
    knowledge = copy_knowledge(tmp_path)
    glossary = knowledge / "glossary.yaml"
    term = "  - term: {}\n    explanation: Money for {}.\n    source: https://example.org/\n"
    glossary.write_text(glossary.read_text() + term.format("tegemoetkoming studiekosten", "a")
                        + term.format("tegemoetkoming studiekosten mbo", "b"))
    line = len(glossary.read_text().splitlines()) - 2
    with pytest.raises(ContentError) as error:
        Knowledge.load(knowledge)
    assert (f"{glossary}:{line}: 'tegemoetkoming studiekosten mbo' and "
            "'tegemoetkoming studiekosten' both get the glossary id 'tegemoetkoming-studiekos'"
            ) in str(error.value)


def add_flow(flows: Path, flow_id: str, steps: str, start: str = "start") -> None:
    (flows / f"{flow_id}.yaml").write_text(
        f"id: {flow_id}\ntitle: A loop\nsummary: Goes round.\nsources: [https://example.org/]\n"
        f"last_checked: 2026-03-01\nstart: {start}\nsteps:\n{steps}")


def test_goto_steps_that_jump_in_a_circle_are_reported(tmp_path: Path) -> None:
    flows = copy_flows(tmp_path)
    add_flow(flows, "loop-a", "  start:\n    kind: goto\n    flow: loop-b\n")
    add_flow(flows, "loop-b", "  start:\n    kind: goto\n    flow: loop-a\n")
    with pytest.raises(ContentError) as error:
        load_flows(flows, KNOWLEDGE)
    assert str(error.value).splitlines() == [
        f"{flows / 'loop-a.yaml'}:8: step 'start' jumps in a circle without a step that waits "
        "for the person: loop-a/start → loop-b/start → loop-a/start"]


def test_a_circle_through_a_question_by_municipality_is_reported(tmp_path: Path) -> None:
    flows = copy_flows(tmp_path)
    add_flow(flows, "loop-a", (
        "  start:\n    kind: choice\n    text: Where do you live?\n    by_municipality: true\n"
        "    options:\n      - {id: delft, label: Delft, next: delft}\n"
        "      - {id: other, label: Elsewhere, next: other}\n"
        "  delft:\n    kind: goto\n    flow: loop-a\n"
        "  other:\n    kind: message\n    text: Ask your municipality.\n"))
    with pytest.raises(ContentError, match=r"loop-a\.yaml:\d+: step 'delft' jumps in a circle"):
        load_flows(flows, KNOWLEDGE)


def test_a_circle_with_a_step_that_waits_is_allowed(tmp_path: Path) -> None:
    flows = copy_flows(tmp_path)
    add_flow(flows, "loop-a", "  start:\n    kind: message\n    text: Hello.\n    next: jump\n"
                              "  jump:\n    kind: goto\n    flow: loop-b\n")
    add_flow(flows, "loop-b", "  start:\n    kind: goto\n    flow: loop-a\n")
    assert {"loop-a", "loop-b"} <= set(load_flows(flows, KNOWLEDGE))
