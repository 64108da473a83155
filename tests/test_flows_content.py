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
