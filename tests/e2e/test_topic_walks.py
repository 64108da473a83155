"""Every flow walked to an end in Arabic and Tigrinya, through real aiogram over HTTP."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from fakes.bot_api import FakeBotAPI
from fakes.html_check import visible_text
from harness import Person, RunningBot
from texts import CATALOGS, data, seen

from bot.content import contexts
from bot.content.flows import REQUIRED, load_flows
from bot.content.knowledge import Knowledge
from bot.domain.bidi import strip_controls
from bot.settings import PROJECT_ROOT

KNOWLEDGE = Knowledge.load(PROJECT_ROOT / "knowledge")
FLOWS = load_flows(PROJECT_ROOT / "flows", KNOWLEDGE)


def first_case(flow_id: str) -> list[dict[str, Any]]:
    spec = yaml.safe_load((PROJECT_ROOT / "tests" / "flows" / f"{flow_id}.yaml").read_text())
    return list(spec["cases"][0]["script"])


MUNICIPALITY = "haarlem"


def translated_start(lang: str, flow_id: str, step_id: str) -> str:
    """The first line of a step's text as the reader sees it (facts aside), including the
    municipality's own version of the step where it has one."""
    text = FLOWS[flow_id].steps[step_id].text or ""
    context = contexts.step_text(flow_id, step_id)
    local = KNOWLEDGE.overrides.get((MUNICIPALITY, flow_id, step_id))
    if local is not None:
        text, context = local.text, contexts.override(MUNICIPALITY, flow_id, step_id)
    line = CATALOGS.translator(lang).pgettext(context, text)
    first = strip_controls(visible_text(line.strip().splitlines()[0]))
    return first.split("{fact:")[0][:40]


async def onboard(person: Person, lang: str) -> None:
    await person.say("/start")
    await person.press(f"o:lang:{lang}", replies=2 if lang == "ti" else 1)
    for answer in ("o:consent:yes", f"o:muni:{MUNICIPALITY}", "o:beg:ended"):
        await person.press(answer)


@pytest.mark.parametrize("lang", ["ar", "ti"])
async def test_every_flow_to_an_end(api: FakeBotAPI, bot: RunningBot, lang: str) -> None:
    person = Person(api, 5000 + (lang == "ti"), language_code=lang)
    await onboard(person, lang)
    for flow_id in REQUIRED:
        [topics] = await person.say("/topics")
        assert f"t:{flow_id}" in data(topics)
        [shown] = await person.press(f"t:{flow_id}")
        flow, step_id = FLOWS[flow_id], FLOWS[flow_id].start
        assert translated_start(lang, flow_id, step_id) in seen(shown), (flow_id, step_id)
        for line in first_case(flow_id):
            if "press" not in line:
                continue
            step = flow.steps[step_id]
            press = str(line["press"])
            step_id = str(step.next if press == "next" else
                          next(o.next for o in step.options if o.id == press))
            [shown] = await person.press(f"t:{flow.id}:{step_id}")
            while True:  # steps that only pass on are followed, as the bot does
                step = flow.steps[step_id]
                if step.kind == "goto":
                    flow = FLOWS[str(step.flow)]
                    step_id = flow.start
                elif step.by_municipality and MUNICIPALITY in {o.id for o in step.options}:
                    step_id = next(o.next for o in step.options if o.id == MUNICIPALITY)
                else:
                    break
            if flow.steps[step_id].text:
                assert translated_start(lang, flow.id, step_id) in seen(shown), \
                    (flow.id, step_id)
        assert "m:menu" in data(shown)
