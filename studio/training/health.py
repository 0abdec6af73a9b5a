"""Gradient and activation health per node, from what a capture step saw (Qt-free).

`node_health(info)` turns a CaptureInfo into {node id: NodeHealth}: the L2 norm of the gradients of the
node's parameters (parameter names read "<node id>.<...>": the compiled model's submodules are named
after the node ids, and nodes inside Blocks carry expanded ids "<block>__<copy>__<inner id>"), the node's
output statistics, a level ("ok", "warning", "problem") with the reasons, and `colour`, the grad norm's
place on a log scale between the vanishing and exploding thresholds (0 cold ... 1 hot), so healthy nodes
show a graded colour too. `view_health(health, path, shown)` maps that onto the nodes shown on a canvas
at a block path: a Block node gets the worst of its inner nodes, an inner node the worst of its copies.
"""

from __future__ import annotations

import math
import re
import textwrap
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

from .callbacks import CaptureInfo

Level = Literal["ok", "warning", "problem"]
OK: Level = "ok"
WARNING: Level = "warning"
PROBLEM: Level = "problem"
SEVERITY = {OK: 0, WARNING: 1, PROBLEM: 2}

# Below this the updates (lr x grad) are far smaller than float32 can resolve on weights of order 1e-1
# (relative precision ~1e-7): the layer has effectively stopped learning.
VANISHING_GRAD = 1e-6
# Above this one SGD step with lr 1e-3 already moves the weights by ~1: the next steps overshoot and the
# loss typically blows up. Adam rescales steps but its moment estimates are swamped just the same.
EXPLODING_GRAD = 1e3
# More than this share of exact zeros: most units are off for every sample of the batch, and a unit that
# outputs 0 passes no gradient back through a ReLU, so it may never come back ("dying ReLU").
DEAD_FRACTION = 0.9
# Activations this large saturate sigmoid/tanh/softmax (exp overflows float32 at ~88) and are usually the
# first sign of weights growing without bound.
HUGE_ACTIVATION = 1e4

MAX_OTHERS = 5  # other warning inner nodes a Block's tooltip lists by name

_LOG_LOW, _LOG_HIGH = math.log10(VANISHING_GRAD), math.log10(EXPLODING_GRAD)
_WRAP = 72


@dataclass(frozen=True)
class Reason:
    kind: str  # a stable key: "vanishing_gradient", "dead_units", ...
    level: Level
    title: str
    explanation: str  # what it means and what to try, wrapped for a tooltip

    def text(self) -> str:
        return f"{'⚠' if self.level == WARNING else '⛔'} {self.title}\n{self.explanation}"


def _reason(kind: str, level: Level, title: str, explanation: str) -> Reason:
    return Reason(kind, level, title, textwrap.fill(" ".join(explanation.split()), _WRAP))


NO_GRADIENT = _reason(
    "vanishing_gradient", PROBLEM, "No gradient: this layer does not learn",
    "Its parameters received a gradient of exactly zero, so the optimizer never changes them. Usually "
    "everything after it is cut off (dead ReLUs, a detached path) or its output does not reach the loss. "
    "Try LeakyReLU instead of ReLU, a lower learning rate, or check the wiring after this node.")
VANISHING = _reason(
    "vanishing_gradient", WARNING, "Vanishing gradient",
    f"The gradient of this layer's parameters is tiny (below {VANISHING_GRAD:g}), so its weights barely "
    "change and it learns very slowly or not at all. Common in deep stacks of sigmoid/tanh layers. Try "
    "ReLU-like activations, BatchNorm/LayerNorm, residual connections, or He/Xavier initialisation.")
EXPLODING = _reason(
    "exploding_gradient", PROBLEM, "Exploding gradient",
    f"The gradient of this layer's parameters is huge (above {EXPLODING_GRAD:g}): each step changes the "
    "weights so much that training overshoots and the loss may turn into NaN. Try a lower learning rate, "
    "gradient clipping, BatchNorm, or a smaller initialisation.")
NON_FINITE_GRADIENT = _reason(
    "non_finite_gradient", PROBLEM, "Gradient is NaN or infinite",
    "Some gradient of this layer overflowed or became NaN; the weights will be ruined by the next step. "
    "Lower the learning rate, clip gradients, and look for log(0), division by zero or an exp that "
    "overflows upstream.")
DEAD = _reason(
    "dead_units", WARNING, "Mostly dead output",
    f"More than {DEAD_FRACTION:.0%} of this node's outputs are exactly zero. After a ReLU a unit that is "
    "always 0 gets no gradient and may never recover ('dying ReLU'). Try LeakyReLU/GELU, a lower "
    "learning rate, BatchNorm before the activation, or a different initialisation of the layer before.")
ALL_DEAD = _reason(
    "dead_units", PROBLEM, "Dead output: every value is zero",
    "All outputs of this node are exactly zero for the whole batch, so nothing after it learns from this "
    "path. Often a large negative bias or a too high learning rate killed the ReLUs before it. Try "
    "LeakyReLU/GELU, a lower learning rate, BatchNorm, or re-initialising the layer before.")
NON_FINITE_ACTIVATION = _reason(
    "non_finite_activation", PROBLEM, "Output is NaN or infinite",
    "This node produced NaN or infinite values, so the loss and every gradient are broken. Lower the "
    "learning rate, add normalisation, and check the inputs for NaNs and operations like log/sqrt/divide "
    "for invalid arguments.")
HUGE = _reason(
    "huge_activation", WARNING, "Activations out of range",
    f"Some outputs exceed {HUGE_ACTIVATION:g} in magnitude. Sigmoid, tanh and softmax saturate at such "
    "values (their gradient becomes ~0) and float32 overflows soon after. Try normalising the inputs, "
    "BatchNorm/LayerNorm, a lower learning rate or weight decay.")


@dataclass(frozen=True)
class NodeHealth:
    node_id: str
    level: Level = OK
    reasons: tuple[Reason, ...] = ()
    grad_norm: float | None = None  # None: the node has no parameter with a gradient
    activation: Mapping[str, float] | None = None  # {"mean", "std", "min", "max", "zeros"} or None
    colour: float | None = None  # the grad norm on the log scale, 0 (vanishing) .. 1 (exploding)
    step: int = 0
    source: str = ""  # where the numbers come from when not the node itself: "fc (copy 2 of 3)"
    others: tuple[str, ...] = field(default=())  # other inner nodes of a Block that warn, "fc: Dead output"

    @property
    def severity(self) -> int:
        return SEVERITY[self.level]

    def tooltip(self) -> str:
        """Plain text for a tooltip: the numbers, then each reason with what to try."""
        head = {OK: "Healthy", WARNING: "Warning", PROBLEM: "Problem"}[self.level]
        lines = [f"{head} (training step {self.step})" + (f": worst is {self.source}" if self.source else "")]
        if self.grad_norm is not None:
            lines.append(f"gradient norm {self.grad_norm:.3g}")
        stats = self.activation
        if stats:
            lines.append(f"output mean {stats['mean']:.3g}, std {stats['std']:.3g}, "
                         f"min {stats['min']:.3g}, max {stats['max']:.3g}")
            lines.append(f"zeros {stats['zeros']:.1%} of the outputs")
        lines.extend(f"\n{reason.text()}" for reason in self.reasons)
        if self.others:
            lines.append("\nAlso inside: " + "; ".join(self.others))
        return "\n".join(lines)


def grad_colour(norm: float | None) -> float | None:
    """The grad norm's place between VANISHING_GRAD (0) and EXPLODING_GRAD (1) on a log scale."""
    if norm is None:
        return None
    if not math.isfinite(norm):
        return 1.0
    if norm <= 0.0:
        return 0.0
    return min(1.0, max(0.0, (math.log10(norm) - _LOG_LOW) / (_LOG_HIGH - _LOG_LOW)))


def node_of_parameter(name: str) -> str:
    """'conv1.weight' -> 'conv1'; 'blk__0__fc.bias' -> 'blk__0__fc' (node ids are identifiers: no dots)."""
    return name.split(".", 1)[0]


def node_grad_norms(grad_norms: Mapping[str, float]) -> dict[str, float]:
    """Per node, the L2 norm over all its parameters' gradients (the norm of the concatenated gradient)."""
    squares: dict[str, float] = {}
    for name, norm in grad_norms.items():
        node = node_of_parameter(name)
        squares[node] = squares.get(node, 0.0) + float(norm) ** 2
    return {node: math.sqrt(total) for node, total in squares.items()}


def classify(grad_norm: float | None, stats: Mapping[str, float] | None) -> tuple[Reason, ...]:
    reasons: list[Reason] = []
    if grad_norm is not None:
        if not math.isfinite(grad_norm):
            reasons.append(NON_FINITE_GRADIENT)
        elif grad_norm == 0.0:
            reasons.append(NO_GRADIENT)
        elif grad_norm < VANISHING_GRAD:
            reasons.append(VANISHING)
        elif grad_norm > EXPLODING_GRAD:
            reasons.append(EXPLODING)
    if stats:
        values = [stats.get(key, 0.0) for key in ("mean", "std", "min", "max")]
        if not all(math.isfinite(v) for v in values):
            reasons.append(NON_FINITE_ACTIVATION)
        elif max(abs(stats.get("min", 0.0)), abs(stats.get("max", 0.0))) > HUGE_ACTIVATION:
            reasons.append(HUGE)
        zeros = stats.get("zeros", 0.0)
        if zeros >= 1.0:
            reasons.append(ALL_DEAD)
        elif zeros > DEAD_FRACTION:
            reasons.append(DEAD)
    return tuple(reasons)


def node_health(info: CaptureInfo) -> dict[str, NodeHealth]:
    """The health of every node the capture saw (expanded ids for nodes inside Blocks)."""
    grads = node_grad_norms(info.grad_norms)
    out: dict[str, NodeHealth] = {}
    for node in dict.fromkeys([*info.activations, *grads]):
        grad, stats = grads.get(node), info.activations.get(node)
        reasons = classify(grad, stats)
        level = max((r.level for r in reasons), key=SEVERITY.__getitem__, default=OK)
        out[node] = NodeHealth(node, level, reasons, grad, stats, grad_colour(grad), info.step)
    return out


def worst(items: Iterable[NodeHealth]) -> NodeHealth | None:
    """The most severe; among equals the one whose gradient is furthest from the scale's middle."""
    def rank(h: NodeHealth) -> tuple[int, int, float]:
        off = abs(h.colour - 0.5) if h.colour is not None else -1.0
        return h.severity, len(h.reasons), off

    return max(items, key=rank, default=None)


def view_health(health: Mapping[str, NodeHealth], path: Sequence[str],
                shown: Iterable[str]) -> dict[str, NodeHealth]:
    """What the nodes shown inside the block at `path` (Block node ids, outermost first; [] for the top
    graph) display: a node its own health (the worst of its copies when the block repeats), a Block node
    the worst of everything inside it."""
    shown = set(shown)
    prefix = re.compile("".join(re.escape(block) + r"__\d+__" for block in path))
    own: dict[str, list[tuple[str, NodeHealth]]] = {}
    inner: dict[str, list[tuple[str, NodeHealth]]] = {}
    for key, item in health.items():
        match = prefix.match(key)
        if match is None:
            continue
        rest = key[match.end():]
        if rest in shown:
            own.setdefault(rest, []).append((key, item))
            continue
        for split in _COPY.finditer(rest):
            head = rest[:split.start()]
            if head in shown:
                inner.setdefault(head, []).append((rest[split.start():], item))
                break
    out: dict[str, NodeHealth] = {}
    for node_id, copies in own.items():
        chosen = worst(h for _, h in copies)
        assert chosen is not None
        if len(copies) > 1:
            index = next(i for i, (_, h) in enumerate(copies) if h is chosen)
            chosen = replace(chosen, source=f"copy {index + 1} of {len(copies)}")
        out[node_id] = chosen if chosen.node_id == node_id else replace(chosen, node_id=node_id)
    for node_id, members in inner.items():
        chosen = worst(h for _, h in members)
        assert chosen is not None
        where = _readable(next(tail for tail, h in members if h is chosen))
        others = [f"{_readable(tail)}: {h.reasons[0].title}" for tail, h in members
                  if h is not chosen and h.reasons]
        if len(others) > MAX_OTHERS:
            others[MAX_OTHERS:] = [f"{len(others) - MAX_OTHERS} more"]
        out[node_id] = replace(chosen, node_id=node_id, source=where, others=tuple(others))
    return out


_COPY = re.compile(r"__(\d+)__")


def _readable(tail: str) -> str:
    """'__0__fc' -> 'fc'; '__1__fc' -> 'fc (copy 2)'; nested blocks read 'inner / fc'."""
    parts = _COPY.split(tail)  # ['', '0', 'fc'] or ['', '0', 'inner', '1', 'fc']
    names, copies = parts[2::2], parts[1::2]
    return " / ".join(name + (f" (copy {int(c) + 1})" if int(c) else "") for name, c in zip(names, copies))
