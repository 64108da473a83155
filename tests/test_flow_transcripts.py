"""Flow transcripts (tests/flows/*.yaml): press X, expect text containing Y, per flow."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml
from memory_store import MemoryStore

from bot.content.catalogs import BabelCatalogs
from bot.content.flows import REQUIRED, load_flows
from bot.content.knowledge import Knowledge
from bot.content.search import SearchIndex
from bot.domain.bidi import strip_controls
from bot.domain.incoming import Caller
from bot.domain.replies import Outcome
from bot.services.chat import ChatService, utc_now
from bot.settings import PROJECT_ROOT

TRANSCRIPTS = sorted((PROJECT_ROOT / "tests" / "flows").glob("*.yaml"))
KNOWLEDGE = Knowledge.load(PROJECT_ROOT / "knowledge")
FLOWS = load_flows(PROJECT_ROOT / "flows", KNOWLEDGE)
CATALOGS = BabelCatalogs.load(PROJECT_ROOT / "locales")
SEARCH = SearchIndex.build(FLOWS, KNOWLEDGE, CATALOGS)
ME = Caller(77, 77, "en")


def cases() -> list[Any]:
    found = []
    for path in TRANSCRIPTS:
        spec = yaml.safe_load(path.read_text(encoding="utf-8"))
        found += [pytest.param(spec["flow"], case, id=f"{path.stem}: {case['name']}")
                  for case in spec["cases"]]
    return found


def test_every_flow_has_a_transcript() -> None:
    assert {p.stem for p in TRANSCRIPTS} >= set(REQUIRED)


async def onboarded_chat(municipality: str) -> ChatService:
    chat = ChatService(MemoryStore(), CATALOGS, KNOWLEDGE, FLOWS, SEARCH, utc_now,
                       ZoneInfo("Europe/Amsterdam"))
    await chat.command(ME, "start")
    for answer in ("o:lang:en", "o:consent:yes", f"o:muni:{municipality}", "o:beg:ended"):
        await chat.button(ME, answer)
    return chat


def shown(outcome: Outcome) -> str:
    return strip_controls("\n".join(r.text for r in outcome.replies))


def buttons(outcome: Outcome) -> list[str]:
    return [b.data for r in outcome.replies for row in r.keyboard for b in row if b.data]


@pytest.mark.parametrize(("flow_id", "case"), cases())
async def test_transcript(flow_id: str, case: dict[str, Any]) -> None:
    municipality = case.get("municipality", "leiden")
    chat = await onboarded_chat(municipality)
    flow = FLOWS[flow_id]
    outcome = await chat.button(ME, f"t:{flow_id}")
    step_id = flow.start
    for number, line in enumerate(case["script"]):
        if "press" in line:
            step = flow.steps[step_id]
            press = str(line["press"])
            target = step.next if press == "next" else next(
                (o.next for o in step.options if o.id == press), None)
            assert target is not None, f"line {number}: no {press!r} at step {step_id!r}"
            data = f"t:{flow_id}:{target}"
            assert data in buttons(outcome), f"line {number}: no button {data}"
            outcome = await chat.button(ME, data)
            step_id = target
            while True:  # steps that only pass on are followed, as the bot does
                step = flow.steps[step_id]
                if step.kind == "goto":
                    flow = FLOWS[str(step.flow)]
                    flow_id, step_id = flow.id, flow.start
                elif step.by_municipality and municipality in {o.id for o in step.options}:
                    step_id = next(o.next for o in step.options if o.id == municipality)
                else:
                    break
        for expected in line.get("expect") or []:
            assert expected in shown(outcome), f"line {number}: {expected!r} not in:\n" \
                                               f"{shown(outcome)}"
    assert outcome.replies, "every step shows something"
