"""The bureaucracy explainers: flows from flows/ shown step by step.

Position lives in the conversation row ("topic:<flow id>", step id, and a trail for
Back), so a restart loses nothing. Buttons carry flow and step ids ("t:digid:apply").
"""

from __future__ import annotations

import html

from bot.content import contexts
from bot.content.knowledge import OTHER_MUNICIPALITY, Knowledge
from bot.content.schema import Flow, GlossaryTerm, Organisation, Step
from bot.domain import languages
from bot.domain.facts import fill_facts
from bot.domain.questions import Conversation
from bot.domain.replies import Button, Keyboard, Outcome, Reply, escape, rows
from bot.services.amounts import render_fact
from bot.services.turn import Turn, button

SCOPE = "t"
PREFIX = "topic:"
MAX_GOTO_HOPS = 5
DRAFT_MARK = " ✎"
MACHINE_MARK = " 🤖"  # a machine translation nobody has reviewed yet (wegwijs i18n prefill)


class Topics:
    def __init__(self, flows: dict[str, Flow], knowledge: Knowledge) -> None:
        self.flows = flows
        self._knowledge = knowledge

    # -- what the person sees ---------------------------------------------------------

    def menu(self, turn: Turn) -> Outcome:
        """All topics as buttons; leaves any topic the person was in."""
        _ = turn.gettext
        turn.conversation = None
        return Outcome([Reply(_("<b>Topics</b>\nChoose a topic, or type your question "
                                "in your own words."), self.topic_keyboard(turn))])

    def topic_keyboard(self, turn: Turn) -> Keyboard:
        """One button per topic, in the order of the required list, then Menu."""
        buttons = [button(self.title(turn, f), SCOPE, f.id) for f in self.flows.values()]
        return (*rows(buttons, 1), (button(turn.gettext("🏠 Menu"), "m", "menu"),))

    def open(self, turn: Turn, flow_id: str) -> Outcome | None:
        flow = self.flows.get(flow_id)
        if flow is None:
            return None
        return self._show(turn, flow, flow.start, trail=[])

    def go(self, turn: Turn, flow_id: str, step_id: str) -> Outcome | None:
        """A Next or option button; None when flow or step does not exist (forged)."""
        flow = self.flows.get(flow_id)
        if flow is None or step_id not in flow.steps:
            return None
        trail = self._trail(turn)
        here = self.position(turn)
        if here is not None:
            trail.append(here)
        return self._show(turn, flow, step_id, trail)

    def back(self, turn: Turn) -> Outcome | None:
        """The step shown before this one; from a topic's first step, the topic list."""
        if self.position(turn) is None:
            return None
        trail = self._trail(turn)
        while trail:
            flow_id, _sep, step_id = trail.pop().partition("/")
            flow = self.flows.get(flow_id)
            if flow is not None and step_id in flow.steps and not self._passes_on(
                    turn, flow.steps[step_id]):
                return self._show(turn, flow, step_id, trail)
        return self.menu(turn)

    def current(self, turn: Turn) -> Outcome | None:
        here = self.position(turn)
        if here is None:
            return None
        flow_id, _sep, step_id = here.partition("/")
        flow = self.flows.get(flow_id)
        if flow is None or step_id not in flow.steps:
            return None
        return self._show(turn, flow, step_id, self._trail(turn))

    def title(self, turn: Turn, flow: Flow) -> str:
        return self._t(turn, contexts.flow_title(flow.id), flow.title, mark=False)

    def term_reply(self, turn: Turn, term: GlossaryTerm) -> Reply:
        # Glossary and organisation texts are plain text, not HTML: escape them.
        explanation = escape(self._t(turn, contexts.glossary(term.term), term.explanation))
        text = f"📖 <b>{turn.value(term.term)}</b>\n{explanation}"
        more = self.flows.get(term.flow or "")
        keyboard = ((button(self.title(turn, more), SCOPE, more.id),),) if more else ()
        return Reply(text, keyboard)

    # -- rendering ----------------------------------------------------------------------

    def position(self, turn: Turn) -> str | None:
        conv = turn.conversation
        if conv is None or not conv.flow.startswith(PREFIX):
            return None
        return f"{conv.flow.removeprefix(PREFIX)}/{conv.step}"

    def _trail(self, turn: Turn) -> list[str]:
        if self.position(turn) is None or turn.conversation is None:
            return []
        trail = turn.conversation.data.get("trail", "")
        return trail.split(",") if trail else []

    def _passes_on(self, turn: Turn, step: Step) -> str | None:
        """Where a step that shows nothing itself leads: a goto's flow ("flow:<id>"), or the
        option of a by-municipality question that matches the person's municipality."""
        if step.kind == "goto" and step.flow in self.flows:
            return f"flow:{step.flow}"
        if step.kind == "choice" and step.by_municipality:
            mine = turn.person.municipality
            return next((o.next for o in step.options if o.id == mine), None)
        return None

    def _show(self, turn: Turn, flow: Flow, step_id: str, trail: list[str]) -> Outcome:
        """Show a step; steps that only pass on are followed, and never kept for Back."""
        step = flow.steps[step_id]
        for _hop in range(MAX_GOTO_HOPS):
            target = self._passes_on(turn, step)
            if target is None:
                break
            if target.startswith("flow:"):
                flow = self.flows[target.removeprefix("flow:")]
                step_id = flow.start
            else:
                step_id = target
            step = flow.steps[step_id]
        turn.conversation = Conversation(PREFIX + flow.id, step_id,
                                         {"trail": ",".join(trail[-20:])})
        return Outcome([Reply(self._body(turn, flow, step_id, step),
                              self._keyboard(turn, flow, step_id, step))])

    def _body(self, turn: Turn, flow: Flow, step_id: str, step: Step) -> str:
        text = ""
        local = self._knowledge.overrides.get((turn.person.municipality or "", flow.id, step_id))
        if local is not None:  # the person's municipality says it its own way
            context = contexts.override(turn.person.municipality or "", flow.id, step_id)
            text = self._t(turn, context, local.text).strip()
        elif step.text:
            text = self._t(turn, contexts.step_text(flow.id, step_id), step.text).strip()
        if text:
            text = self._with_facts(turn, text)
        if step.kind == "organisations" and step.category is not None:
            text = "\n\n".join(p for p in (text, self._organisations(turn, step)) if p)
        elif step.kind == "glossary" and step.term:
            term = self._knowledge.term_by_word(step.term)
            if term is not None:
                text = "\n\n".join(p for p in (text, self.term_reply(turn, term).text) if p)
        return text or escape(self.title(turn, flow))  # titles are plain text

    def _with_facts(self, turn: Turn, text: str) -> str:
        """Amounts filled in; what else to know about them (a change soon, a year not
        known yet) follows the text once, however many amounts share the note."""
        notes: list[str] = []

        def render(fact_id: str) -> str | None:
            fact = self._knowledge.fact(fact_id)
            if fact is None:
                return None
            rendered = render_fact(turn, fact)
            notes.extend(n for n in rendered.notes if n not in notes)
            return rendered.inline

        text = fill_facts(text, render)
        return "\n\n".join([text, "\n".join(notes)]) if notes else text

    def _organisations(self, turn: Turn, step: Step) -> str:
        assert step.category is not None
        _ = turn.gettext
        municipality = turn.person.municipality
        found = self._knowledge.organisations(step.category, municipality)
        if not found:
            return _("We do not know an organisation for this yet. Ask your municipality "
                     "(gemeente): they can tell you who helps.")
        lines = [self.organisation_text(turn, org) for org in found[:8]]
        if municipality == OTHER_MUNICIPALITY:
            lines.insert(0, _("These organisations work in the whole country:"))
        return "\n\n".join(lines)

    def organisation_text(self, turn: Turn, org: Organisation) -> str:
        _ = turn.gettext
        description = escape(
            self._t(turn, contexts.organisation(org.id), org.description).strip())
        parts = [f"• <b>{turn.value(org.name)}</b>: {description}"]
        spoken = [languages.by_code(code).native_name for code in org.languages
                  if code != "nl"]
        if spoken:
            parts.append(turn.fill(_("Help in: {languages}"), languages=", ".join(spoken)))
        if org.phone:
            parts.append(turn.fill(_("Phone: {phone}"), phone=org.phone))
        if org.website:
            href = html.escape(str(org.website), quote=True)
            parts.append(f'<a href="{href}">{turn.value(_site(org))}</a>')
        return "\n".join(parts)

    def _keyboard(self, turn: Turn, flow: Flow, step_id: str, step: Step) -> Keyboard:
        _ = turn.gettext
        keyboard: list[tuple[Button, ...]] = []
        if step.link is not None:
            label = self._t(turn, contexts.link_label(flow.id, step_id), step.link.label,
                            mark=False)
            keyboard.append((Button("🔗 " + label, "", url=str(step.link.url)),))
        for option in step.options:
            label = self._t(turn, contexts.option_label(flow.id, step_id, option.id),
                            option.label, mark=False)
            keyboard.append((button(label, SCOPE, flow.id, option.next),))
        if step.next:
            keyboard.append((button(_("Next ⬇️"), SCOPE, flow.id, step.next),))
        elif step.kind != "choice":
            keyboard.append((button(_("📚 Other topics"), "m", "topics"),))
        # A person who speaks their language, at every step; the topic travels along.
        keyboard.append((button(_("🙋 Ask a person"), "h", "flow", flow.id),))
        keyboard.append((button(_("↩️ Back"), "b", "back"), button(_("🏠 Menu"), "m", "menu")))
        return tuple(keyboard)

    def _t(self, turn: Turn, context: str, text: str, *, mark: bool = True) -> str:
        """Translate a content text; drafts (unreviewed) get a small mark, except on
        buttons, where it would only clutter."""
        translated = turn.tr.pgettext(context, text)
        if mark and translated != text:
            if turn.catalogs.is_machine(turn.language, text, context):
                translated = translated.rstrip() + MACHINE_MARK
            elif turn.catalogs.is_draft(turn.language, text, context):
                translated = translated.rstrip() + DRAFT_MARK
        return translated


def _site(org: Organisation) -> str:
    host = org.website.host if org.website else None
    return (host or "").removeprefix("www.")
