"""The case's state machine drawn for people who are not engineers.

Nodes and edges come from the same data ``viewflow.fsm.chart`` turns into DOT (the flow's declared
transitions and their targets), so the picture cannot drift from ``workflows.flows``. The layout is
fixed rather than computed: the stages left to right in the order of the plan, steps forward as
arcs above the row, steps back (returns, reassessment) as dashed arcs below, the current stage
filled, the steps open to this user now in the accent colour.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import template
from viewflow.fsm import State

from workflows.flows import CaseFlow
from workflows.models import Stage

register = template.Library()

ORDER: tuple[str, ...] = tuple(Stage.values)
NODE_W = 108
NODE_H = 38
GAP = 34
MARGIN = 8
Y_TOP = 104
RISE = 24  # height of an arc over neighbours; longer arcs rise by STEP per extra stage
STEP = 28
LINE = 12  # label line height


@dataclass(frozen=True)
class Edge:
    name: str
    label: str
    source: str
    target: str


def flow_edges() -> list[Edge]:
    """Every (source, target) of the case flow with its transition's name and label, as
    ``viewflow.fsm.chart`` reads them (guards without a target are left out, as there)."""
    edges = []
    for transitions in CaseFlow.stage.get_transitions().values():
        for transition in transitions:
            if transition.source == State.ANY:
                continue
            for target in transition.declared_targets():
                edges.append(
                    Edge(
                        name=transition.slug,
                        label=str(transition.label),
                        source=str(transition.source),
                        target=str(target),
                    )
                )
    edges.sort(key=lambda e: (ORDER.index(e.source), ORDER.index(e.target)))
    return edges


def _wrap(text: str, width: int) -> list[str]:
    """Break a label into lines of about ``width`` columns (CJK characters count two)."""

    def cols(s: str) -> int:
        return sum(2 if ord(ch) > 0x2E80 else 1 for ch in s)

    if cols(text) <= width:
        return [text]
    if " " in text:
        lines, line = [], ""
        for word in text.split():
            candidate = f"{line} {word}".strip()
            if line and cols(candidate) > width:
                lines.append(line)
                line = word
            else:
                line = candidate
        lines.append(line)
        return lines
    half = (len(text) + 1) // 2
    return [text[:half], text[half:]]


def _x(stage: str) -> int:
    return MARGIN + ORDER.index(stage) * (NODE_W + GAP)


def layout(
    current: str,
    *,
    visited: set[str] | None = None,
    open_names: set[str] | None = None,
    blocked_names: set[str] | None = None,
) -> dict[str, Any]:
    visited = visited or set()
    open_names = open_names or set()
    blocked_names = blocked_names or set()
    nodes = []
    for stage in ORDER:
        x = _x(stage)
        lines = _wrap(str(Stage(stage).label), 14)
        first = Y_TOP + NODE_H / 2 - (len(lines) - 1) * 7 + 4
        nodes.append(
            {
                "key": stage,
                "x": x,
                "y": Y_TOP,
                "w": NODE_W,
                "h": NODE_H,
                "lines": [
                    {"text": t, "x": x + NODE_W // 2, "y": f"{first + i * 14:.1f}"}
                    for i, t in enumerate(lines)
                ],
                "state": "current" if stage == current else "visited" if stage in visited else "",
            }
        )
    edges = []
    max_back = 0
    for edge in flow_edges():
        s, t = ORDER.index(edge.source), ORDER.index(edge.target)
        span = abs(t - s)
        forward = t > s
        sx = _x(edge.source) + NODE_W / 2
        tx = _x(edge.target) + NODE_W / 2
        lines = _wrap(edge.label, 20)
        if forward:
            y = Y_TOP
            peak = Y_TOP - RISE - STEP * (span - 1)
            x1, x2 = sx + 16, tx - 16
            label_y = [peak - 5 - LINE * (len(lines) - 1 - i) for i in range(len(lines))]
        else:
            y = Y_TOP + NODE_H
            peak = y + RISE + STEP * (span - 1)
            max_back = max(max_back, peak)
            x1, x2 = sx - 16, tx + 16
            label_y = [peak + 13 + LINE * i for i in range(len(lines))]
        control = y + (peak - y) / 0.75
        mid = (x1 + x2) / 2
        state = ""
        if edge.source == current:
            state = (
                "open"
                if edge.name in open_names
                else "blocked"
                if edge.name in blocked_names
                else ""
            )
        edges.append(
            {
                "name": edge.name,
                "label": edge.label,
                "d": f"M{x1:.1f},{y:.1f} C{x1:.1f},{control:.1f} {x2:.1f},{control:.1f} {x2:.1f},{y:.1f}",
                "lines": [
                    {"text": text, "x": f"{mid:.1f}", "y": f"{ly:.1f}"}
                    for text, ly in zip(lines, label_y, strict=True)
                ],
                "back": not forward,
                "state": state,
            }
        )
    width = MARGIN * 2 + len(ORDER) * NODE_W + (len(ORDER) - 1) * GAP
    height = int(max_back + 13 + LINE * 2 + 6)
    return {"nodes": nodes, "edges": edges, "width": width, "height": height}


@register.inclusion_tag("ui/state_graph.html")
def state_graph(
    case: Any, transitions: list[dict[str, Any]] | None = None, visited: Any = None
) -> dict[str, Any]:
    """``transitions``: ``workflows.services.available_transitions`` for the viewer, so the steps
    open to them now are highlighted; ``visited``: stages the case has been in."""
    transitions = transitions or []
    return layout(
        case.stage,
        visited=set(visited or ()),
        open_names={t["name"] for t in transitions if t["allowed"]},
        # Red only where the viewer's role acts but a condition holds it back.
        blocked_names={
            t["name"] for t in transitions if not t["allowed"] and t.get("permitted", True)
        },
    )
