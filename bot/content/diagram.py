"""`wegwijs content diagram FLOW_ID`: a flow as a Mermaid flowchart, for authors and reviews."""

from __future__ import annotations

from bot.content.schema import Flow

SHAPES = {  # Mermaid node shapes per step kind
    "message": ('["', '"]'), "choice": ('{"', '"}'), "goto": ('[["', '"]]'),
    "organisations": ('[/"', '"/]'), "glossary": ('(["', '"])'), "handoff": ('(("', '"))'),
}


def mermaid(flow: Flow) -> str:
    lines = ["flowchart TD", f'  %% {flow.id}: {_label(flow.title)}']
    for step_id, step in flow.steps.items():
        opening, closing = SHAPES[step.kind]
        summary = {"goto": f"→ {step.flow}", "organisations": f"help: {step.category}",
                   "glossary": f"word: {step.term}"}.get(step.kind, _first_line(step.text))
        lines.append(f"  {_node(step_id)}{opening}{step_id}<br/>{_label(summary)}{closing}")
    for step_id, step in flow.steps.items():
        if step.next:
            lines.append(f"  {_node(step_id)} --> {_node(step.next)}")
        for option in step.options:
            lines.append(f'  {_node(step_id)} -->|"{_label(option.label)}"| {_node(option.next)}')
    lines.append(f"  style {_node(flow.start)} stroke-width:3px")
    return "\n".join(lines)


def _node(step_id: str) -> str:
    return "s_" + step_id.replace("-", "_")


def _first_line(text: str | None) -> str:
    first = (text or "").strip().splitlines()[0] if text and text.strip() else ""
    return first if len(first) <= 48 else first[:47] + "…"


def _label(text: str) -> str:
    """Mermaid labels in quotes: no double quotes or HTML inside."""
    for tag in ("<b>", "</b>", "<i>", "</i>"):
        text = text.replace(tag, "")
    return text.replace('"', "'").replace("<", "‹").replace(">", "›")
