"""Translator contexts (gettext msgctxt) for texts that live in flows/ and knowledge/.

The extractor and the runtime build them with the same functions, so a translator sees
where a sentence appears ("flow digid, step apply") and each place can be translated on
its own.
"""

from __future__ import annotations

import re

_STEP_TEXT = re.compile(r"^([a-z0-9-]+: )?flow [^,]+, step [^,]+$")


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


def is_html(context: str) -> bool:
    """Whether the content text with this context is sent as Telegram HTML.

    Step texts (and municipalities' versions of them) are. Everything else is plain: titles,
    button and link labels go on buttons, which Telegram does not parse; glossary and
    organisation texts are escaped by the code that places them in a message (calendar texts,
    not sent yet, must be escaped the same way).
    """
    return bool(_STEP_TEXT.match(context))
