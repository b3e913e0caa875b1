"""Pictures of a workflow a person can read: Graphviz (DOT, SVG) and Mermaid.

States carry their Vietnamese (or English) labels and deadlines; transitions are labelled
with their action and the roles that may take it, guards in brackets; final states have a
double border; an instance's current state is highlighted.
"""

from __future__ import annotations

from collections.abc import Mapping

import graphviz

from .definition import ANY_STATE, WorkflowSpec
from .schema import Deadline, TransitionSchema, VocabularySchema

__all__ = ["to_dot", "to_svg", "to_mermaid", "guard_labels", "FONT"]

FONT = "DejaVu Sans"  # full Vietnamese diacritics, installed with Graphviz on Debian
_CURRENT = "#f4c542"
_ANY = "__any__"
_GROUP = 4  # a transition from this many states or more is drawn from one note


def _deadline(deadline: Deadline | None, lang: str) -> str:
    if deadline is None:
        return ""
    if deadline.duration:
        return "hạn theo quy định của từng danh hiệu" if lang == "vi" else "due as each award sets"
    if deadline.days is not None:
        return f"hạn {deadline.days} ngày" if lang == "vi" else f"due in {deadline.days} days"
    return (f"hạn {deadline.working_days} ngày làm việc" if lang == "vi"
            else f"due in {deadline.working_days} working days")


GuardLabels = Mapping[str, tuple[str, str]]  # guard name → (vi, en)


def _edge_label(t: TransitionSchema, vocabulary: VocabularySchema, lang: str, guards: GuardLabels) -> str:
    roles = ", ".join(getattr(vocabulary.roles[r], lang) if r in vocabulary.roles else r for r in t.roles)

    def named(g: str) -> str:
        return guards[g][0 if lang == "vi" else 1] if g in guards else g
    conditions = [named(g) for g in t.guards] + [f"không: {named(g)}" if lang == "vi" else f"not: {named(g)}"
                                                  for g in t.unless]
    lines = [f"{getattr(t.label, lang)} ({t.trigger})", roles]
    if conditions:
        lines.append("[" + ", ".join(conditions) + "]")
    return "\n".join(lines)


def _any_label(lang: str) -> str:
    return "mọi trạng thái chưa kết thúc" if lang == "vi" else "any unfinished state"


def _graph(spec: WorkflowSpec, vocabulary: VocabularySchema, current: str | None, lang: str,
           guards: GuardLabels) -> graphviz.Digraph:
    g = graphviz.Digraph(spec.id, graph_attr={"rankdir": "TB", "fontname": FONT, "label": getattr(spec.schema.label, lang)
                                              + f" — v{spec.version}", "labelloc": "t", "fontsize": "16"},
                         node_attr={"fontname": FONT, "shape": "box", "style": "rounded,filled",
                                    "fillcolor": "#eef3f8", "color": "#4a6785", "fontsize": "12"},
                         edge_attr={"fontname": FONT, "fontsize": "10", "color": "#5c6b7a"})
    g.node("__start__", "", shape="circle", width="0.2", style="filled", fillcolor="#333333")
    g.edge("__start__", spec.initial)
    for name, state in spec.states.items():
        label = getattr(state.label, lang)
        due = _deadline(state.deadline, lang)
        if due:
            label += f"\n({due})"
        attrs = {"peripheries": "2"} if state.final else {}
        if name == current:
            attrs.update(fillcolor=_CURRENT, penwidth="2.5", color="#8a6d00")
        g.node(name, label, **attrs)
    if any(t.from_ == [ANY_STATE] for t in spec.transitions):
        g.node(_ANY, _any_label(lang), shape="note", style="dashed", fillcolor="white")
    for i, t in enumerate(spec.transitions):
        sources = [_ANY] if t.from_ == [ANY_STATE] else t.from_
        if len(sources) >= _GROUP:  # one note naming the states, not an arrow from each
            note = f"__from_{i}__"
            names = "\n".join(getattr(spec.states[s].label, lang) for s in sources)
            g.node(note, ("từ các bước:\n" if lang == "vi" else "from:\n") + names, shape="note",
                   style="dashed", fillcolor="white", fontsize="10")
            sources = [note]
        for source in sources:
            g.edge(source, t.to, label=_edge_label(t, vocabulary, lang, guards))
    return g


def to_dot(spec: WorkflowSpec, vocabulary: VocabularySchema, current: str | None = None, lang: str = "vi",
           guards: GuardLabels | None = None) -> str:
    return _graph(spec, vocabulary, current, lang, guards or {}).source


def to_svg(spec: WorkflowSpec, vocabulary: VocabularySchema, current: str | None = None, lang: str = "vi",
           guards: GuardLabels | None = None) -> bytes:
    """SVG rendered by Graphviz's ``dot`` (raises ``graphviz.ExecutableNotFound`` without it)."""
    return _graph(spec, vocabulary, current, lang, guards or {}).pipe(format="svg")


def _mermaid_text(text: str) -> str:
    return text.replace('"', "'").replace(":", "꞉").replace("\n", "<br/>")


def to_mermaid(spec: WorkflowSpec, vocabulary: VocabularySchema, current: str | None = None,
               lang: str = "vi", guards: GuardLabels | None = None) -> str:
    lines = ["stateDiagram-v2", f"    %% {spec.id} v{spec.version}"]
    for name, state in spec.states.items():
        label = getattr(state.label, lang)
        due = _deadline(state.deadline, lang)
        lines.append(f'    state "{_mermaid_text(label + (" (" + due + ")" if due else ""))}" as {name}')
    lines.append(f"    [*] --> {spec.initial}")
    if any(t.from_ == [ANY_STATE] for t in spec.transitions):
        lines.append(f'    state "{_mermaid_text(_any_label(lang))}" as {_ANY}')
    for t in spec.transitions:
        for source in ([_ANY] if t.from_ == [ANY_STATE] else t.from_):
            lines.append(f"    {source} --> {t.to} : {_mermaid_text(_edge_label(t, vocabulary, lang, guards or {}))}")
    for name, state in spec.states.items():
        if state.final:
            lines.append(f"    {name} --> [*]")
    if current:
        lines += [f"    classDef current fill:{_CURRENT},stroke:#8a6d00,stroke-width:3px", f"    class {current} current"]
    return "\n".join(lines) + "\n"


def guard_labels(registry) -> dict[str, tuple[str, str]]:
    """The vi/en labels of a registry's guards, for edge labels."""
    return {name: (registry.get_guard(name).vi, registry.get_guard(name).en) for name in registry.guard_names}
