"""Losses: CrossEntropy, NLL, MSE, L1, SmoothL1, BCE, BCEWithLogits. Ports "input" (the prediction) and
"target"; one output "loss", a scalar (reduction is mean or sum).

The shape rules are stricter than torch where torch would silently broadcast a prediction against a
target of another shape (N×1 vs N gives an N×N loss matrix, averaged into a wrong number).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import ShapeError
from ..registry import ROLE_LOSS, Cost, CostFn, InferFn, LayerSpec, ParamSpec, PortSpec, call_code, register
from ..shapes import Shape, came_from, format_shape, numel

P = Mapping[str, Any]

_REDUCTION = ParamSpec("reduction", "choice", "mean", choices=("mean", "sum"),
                       doc="average the per-element losses, or add them up")
_IGNORE_INDEX = ParamSpec("ignore_index", "int", -100, doc="target class that contributes nothing")


def _show(x: Shape) -> str:
    return f"{format_shape(x)}{came_from(x)}"


def _class_indices(layer: str, *, probabilities: bool) -> InferFn:
    """infer for CrossEntropy/NLL: input N×C (or N×C×d1×...), target N (or N×d1×...) class indices."""

    def infer(params: P, inputs: P) -> dict:
        x, t = inputs["input"], inputs["target"]
        if len(x) < 2:
            raise ShapeError(f"{layer} input must be N×C (one score per class), got {_show(x)}",
                             port="input")
        indices = (x[0], *x[2:])
        soft = probabilities and tuple(t) == tuple(x) and getattr(t, "dtype", "float32") != "int64"
        if tuple(t) != indices and not soft:
            allowed = f"{format_shape(indices)} (class indices)"
            if probabilities:
                allowed += f" or {format_shape(x)} (class probabilities)"
            raise ShapeError(f"{layer} target must be {allowed} for input {format_shape(x)}, got {_show(t)}",
                             port="target")
        return {"loss": ()}

    return infer


def _same_shape(layer: str) -> InferFn:
    def infer(params: P, inputs: P) -> dict:
        x, t = inputs["input"], inputs["target"]
        if tuple(x) != tuple(t):
            raise ShapeError(f"{layer} input and target must have the same shape: {_show(x)} vs {_show(t)}")
        return {"loss": ()}

    return infer


def _cost(flops_per_element: int) -> CostFn:
    def cost(params: P, inputs: P, outputs: P) -> Cost:
        # activations stay 0: the loss is one scalar shared by the whole batch
        return Cost(flops=flops_per_element * numel(inputs["input"][1:]))

    return cost


def _loss_entry(layer: str, module: str, doc: str, infer: InferFn, flops: int,
                extra: tuple[ParamSpec, ...] = ()) -> None:
    params = (_REDUCTION, *extra)
    defaults = {p.name: p.default for p in params}

    def kwargs(values: P) -> dict[str, Any]:
        return {p.name: values[p.name] for p in params}

    register(LayerSpec(
        type=layer, category="Loss", doc=doc, params=params, role=ROLE_LOSS,
        inputs=(PortSpec("input"), PortSpec("target")), outputs=(PortSpec("loss"),),
        infer=infer, cost=_cost(flops),
        build=lambda p, i: getattr(__import__("engine").nn, module)(**kwargs(p)),
        code=lambda p, i: call_code(f"nn.{module}", **kwargs(p), defaults=defaults),
    ))


_loss_entry("CrossEntropy", "CrossEntropyLoss",
            "Classification loss on raw scores (logits) N×C and class indices N; applies softmax itself.",
            _class_indices("CrossEntropy", probabilities=True), 5,
            (_IGNORE_INDEX, ParamSpec("label_smoothing", "float", 0.0, minimum=0, maximum=1,
                                      doc="spread this much probability over the other classes")))
_loss_entry("NLL", "NLLLoss", "Negative log-likelihood of class indices N given log-probabilities N×C "
            "(put LogSoftmax before it).", _class_indices("NLL", probabilities=False), 1, (_IGNORE_INDEX,))
_loss_entry("MSE", "MSELoss", "Mean squared error (x − y)², for regression.", _same_shape("MSE"), 3)
_loss_entry("L1", "L1Loss", "Mean absolute error |x − y|, for regression (robust to outliers).",
            _same_shape("L1"), 3)
_loss_entry("SmoothL1", "SmoothL1Loss", "Squared error for small errors, absolute error for large ones.",
            _same_shape("SmoothL1"), 5,
            (ParamSpec("beta", "float", 1.0, minimum=0, doc="where squared turns into absolute"),))
_loss_entry("BCE", "BCELoss", "Binary cross-entropy of probabilities in (0, 1) (put Sigmoid before it).",
            _same_shape("BCE"), 6)
_loss_entry("BCEWithLogits", "BCEWithLogitsLoss",
            "Binary cross-entropy on raw scores (applies the sigmoid itself, more stably).",
            _same_shape("BCEWithLogits"), 8)
