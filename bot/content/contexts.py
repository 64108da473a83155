"""Translator contexts (gettext msgctxt) for texts that live in flows/ and knowledge/.

The extractor and the runtime build them with the same functions, so a translator sees
where a sentence appears ("flow digid, step apply") and each place can be translated on
its own.
"""

from __future__ import annotations


def flow_title(flow_id: str) -> str:
    return f"flow {flow_id}: title"


def flow_summary(flow_id: str) -> str:
    return f"flow {flow_id}: summary"


def step_text(flow_id: str, step_id: str) -> str:
    return f"flow {flow_id}, step {step_id}"


def option_label(flow_id: str, step_id: str, option_id: str) -> str:
    return f"flow {flow_id}, step {step_id}, button {option_id}"


def link_label(flow_id: str, step_id: str) -> str:
    return f"flow {flow_id}, step {step_id}, link"


def glossary(term: str) -> str:
    return f"glossary {term}"


def organisation(org_id: str) -> str:
    return f"organisation {org_id}"


def calendar(entry_id: str) -> str:
    return f"calendar {entry_id}"


def override(municipality: str, flow_id: str, step_id: str) -> str:
    return f"{municipality}: flow {flow_id}, step {step_id}"
