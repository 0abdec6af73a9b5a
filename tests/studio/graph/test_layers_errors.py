"""What a student gets wrong, and the message the node shows: shape refusals name the numbers and where
the input came from; parameter refusals name the parameter and the problem."""

from __future__ import annotations

from typing import Any

import pytest

from studio.graph import registry
from studio.graph.errors import ParamError, ShapeError
from studio.graph.shapes import BATCH, Incoming


def _x(*dims: Any, origin: str = "from Input") -> Incoming:
    return Incoming((BATCH, *dims), origin)


def _infer(layer: str, params: dict[str, Any], inputs: dict[str, Any]) -> dict:
    spec = registry.get(layer)
    return spec.infer(spec.validate_params(params), inputs)


SHAPE_ERRORS = [
    ("Conv2d", {"in_channels": 3}, {"in": _x(1, 28, 28)},
     "Conv2d expects 3 input channels but receives 1 (from Input)"),
    ("Conv2d", {}, {"in": _x(784, origin="1×28×28 from Flatten")},
     "Conv2d expects a 4-D input N×C×H×W but receives N×784 (1×28×28 from Flatten)"),
    ("Conv1d", {}, {"in": _x(1, 4, 4)}, "Conv1d expects a 3-D input N×C×L but receives N×1×4×4"),
    ("Conv2d", {"kernel_size": 5}, {"in": _x(1, 2, 2, origin="from pool2")},
     "Conv2d kernel 5×5 is larger than the padded input 2×2 (from pool2)"),
    ("Conv2d", {"kernel_size": 3, "dilation": 2}, {"in": _x(1, 4, 4)},
     "Conv2d kernel 5×5 (dilated) is larger than the padded input 4×4"),
    ("Conv2d", {"in_channels": 3, "groups": 2}, {"in": _x(3, 8, 8)},
     "Conv2d in_channels (3) must be divisible by groups (2)"),
    ("Conv2d", {"padding": 3, "padding_mode": "reflect"}, {"in": _x(1, 3, 3)},
     "Conv2d reflect padding 3 must be smaller than the input 3×3"),
    ("ConvTranspose2d", {"output_padding": 1}, {"in": _x(16, 4, 4)},
     "ConvTranspose2d output_padding 1 must be smaller than stride (1) or dilation (1)"),
    ("ConvTranspose2d", {"padding": 3}, {"in": _x(16, 1, 1)},
     "ConvTranspose2d padding 3 is too large: the output would be -3×-3 for the input 1×1"),
    ("MaxPool2d", {"kernel_size": 3}, {"in": _x(16, 2, 2, origin="from conv2")},
     "MaxPool2d kernel 3×3 is larger than the padded input 2×2 (from conv2)"),
    ("MaxPool2d", {"kernel_size": 2, "padding": 2}, {"in": _x(16, 8, 8)},
     "MaxPool2d padding 2 must be at most half the kernel 2×2"),
    ("AvgPool2d", {}, {"in": _x(16)}, "AvgPool2d expects a 4-D input N×C×H×W but receives N×16"),
    ("BatchNorm2d", {"num_features": 16}, {"in": _x(8, 4, 4, origin="from conv1")},
     "BatchNorm2d expects 16 channels (num_features) but receives 8 (from conv1)"),
    ("BatchNorm1d", {"num_features": 16}, {"in": _x(16, 4, 4)},
     "BatchNorm1d expects a 2-D or 3-D input N×C or N×C×L but receives N×16×4×4"),
    ("InstanceNorm2d", {"num_features": 16}, {"in": _x(16, 1, 1)},
     "InstanceNorm2d needs more than one pixel per channel, but receives N×16×1×1"),
    ("LayerNorm", {"normalized_shape": (16,)}, {"in": _x(8)},
     "LayerNorm normalizes the last dims 16 but receives N×8 (from Input)"),
    ("GroupNorm", {"num_groups": 3, "num_channels": 16}, {"in": _x(16, 4, 4)},
     "GroupNorm num_channels (16) must be divisible by num_groups (3)"),
    ("GroupNorm", {}, {"in": _x(8, 4, 4)}, "GroupNorm expects 16 channels (num_channels) but receives 8"),
    ("Dropout2d", {}, {"in": _x(10)}, "Dropout2d expects a 4-D input N×C×H×W but receives N×10"),
    ("PReLU", {"num_parameters": 4}, {"in": _x(8, 2, 2)},
     "PReLU has 4 slopes (num_parameters) but receives 8 channels (from Input); use 1 or the channel count"),
    ("Softmax", {"dim": 2}, {"in": _x(10)}, "Softmax dim 2 is out of range for the 2-D input N×10"),
    ("LogSoftmax", {"dim": 0}, {"in": _x(10)}, "LogSoftmax over dim 0 would mix the samples of a batch"),
    ("Upsample", {"mode": "bilinear"}, {"in": _x(4, 8)},
     "Upsample mode 'bilinear' works on N×C×H×W inputs but receives N×4×8"),
    ("Upsample", {"size": (8, 8)}, {"in": _x(4, 4, 4)}, "Upsample needs exactly one of size or scale_factor"),
    ("Upsample", {"align_corners": True}, {"in": _x(4, 4, 4)},
     "Upsample align_corners only applies to the linear modes, not 'nearest'"),
    ("Upsample", {"scale_factor": 0.1}, {"in": _x(4, 4, 4)},
     "Upsample scale_factor 0.1 makes the output empty (0×0)"),
    ("PixelShuffle", {}, {"in": _x(6, 4, 4)},
     "PixelShuffle with upscale_factor 2 needs channels divisible by 4, but receives 6"),
    ("ReflectionPad2d", {"padding": 2}, {"in": _x(3, 2, 2)},
     "ReflectionPad2d padding 2 must be smaller than the input 2×2"),
    ("ZeroPad2d", {"padding": -2}, {"in": _x(3, 3, 3)},
     "ZeroPad2d padding -2 crops the input 3×3 to nothing"),
    ("Reshape", {"shape": (20, 10, 3)}, {"in": _x(400, origin="16×5×5 from Flatten")},
     "Reshape cannot turn N×400 (16×5×5 from Flatten), 400 values per sample, into 20×10×3 (600 values)"),
    ("Reshape", {"shape": (7, -1)}, {"in": _x(400)}, "400 is not a multiple of 7"),
    ("Reshape", {"shape": (-1, -1)}, {"in": _x(400)}, "may only hold positive sizes and one -1"),
    ("Permute", {"dims": (1, 1)}, {"in": _x(4, 5)},
     "Permute dims 1, 1 must list each of the dims 1, 2 of N×4×5 (from Input) exactly once"),
    ("Permute", {"dims": (2, 1)}, {"in": _x(4, 5, 6)}, "must list each of the dims 1, 2, 3"),
    ("Add", {}, {"in": [_x(16, origin="from fc1"), _x(32, origin="from fc2")]},
     "Add needs inputs of the same shape (or broadcastable): N×16 (from fc1) vs N×32 (from fc2)"),
    ("Multiply", {}, {"in": [_x(16), _x(1, 16)]}, "Multiply needs inputs with the same number of dims"),
    ("Add", {}, {"in": [_x(16)]}, "Add needs at least 2 inputs, 1 connected"),
    ("Concat", {}, {"in": [_x(16, 8, 8, origin="from a"), _x(32, 4, 4, origin="from b")]},
     "Concat inputs must match except in dim 1: N×16×8×8 (from a) vs N×32×4×4 (from b)"),
    ("Concat", {"dim": 0}, {"in": [_x(4), _x(4)]}, "Concat along dim 0 would join batches"),
    ("Concat", {"dim": 3}, {"in": [_x(4, 2), _x(4, 2)]}, "Concat dim 3 is out of range for the 3-D input"),
    ("CrossEntropy", {}, {"input": _x(10, origin="from fc"), "target": _x(1, origin="from Target")},
     "CrossEntropy target must be N (class indices) or N×10 (class probabilities) for input N×10, "
     "got N×1 (from Target)"),
    ("CrossEntropy", {}, {"input": _x(origin="from fc"), "target": _x()},
     "CrossEntropy input must be N×C (one score per class), got N (from fc)"),
    ("NLL", {}, {"input": _x(10), "target": _x(10, origin="from Target")},
     "NLL target must be N (class indices) for input N×10, got N×10 (from Target)"),
    ("MSE", {}, {"input": _x(1, origin="from fc"), "target": _x(origin="from Target")},
     "MSE input and target must have the same shape: N×1 (from fc) vs N (from Target)"),
    ("BCEWithLogits", {}, {"input": _x(10), "target": _x()}, "BCEWithLogits input and target must have"),
]


@pytest.mark.parametrize(("layer", "params", "inputs", "message"), SHAPE_ERRORS,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(SHAPE_ERRORS)])
def test_shape_error_names_the_problem(layer, params, inputs, message):
    with pytest.raises(ShapeError) as info:
        _infer(layer, params, inputs)
    assert message in info.value.message


def test_loss_errors_point_at_the_target_port():
    with pytest.raises(ShapeError) as info:
        _infer("CrossEntropy", {}, {"input": _x(10), "target": _x(1)})
    assert info.value.port == "target"


def test_integer_one_hot_targets_are_refused_when_the_dtype_is_known():
    target = _x(10, origin="from Target")
    target.dtype = "int64"  # an inferer that tracks dtypes sets this; shapes alone allow soft labels
    with pytest.raises(ShapeError, match="must be N \\(class indices\\) or N×10"):
        _infer("CrossEntropy", {}, {"input": _x(10), "target": target})
    assert _infer("CrossEntropy", {}, {"input": _x(10), "target": _x(10)}) == {"loss": ()}


def test_losses_output_a_scalar_and_keep_the_batch_symbol_elsewhere():
    assert _infer("CrossEntropy", {}, {"input": _x(10), "target": _x()}) == {"loss": ()}
    assert _infer("Conv2d", {}, {"in": _x(1, 28, 28)})["out"][0] == BATCH
    assert _infer("Add", {}, {"in": [_x(4, 1), _x(1, 3)]})["out"] == (BATCH, 4, 3)


PARAM_ERRORS = [
    ("Conv2d", {"kernel_size": "3"},
     "kernel_size must be a whole number or a list of whole numbers, not '3'"),
    ("Conv2d", {"kernel_size": 0}, "kernel_size must be at least 1, got 0"),
    ("Conv2d", {"kernel_size": (3, 3, 3)}, "kernel_size needs 2 values, got 3"),
    ("Conv2d", {"in_channels": 2.5}, "in_channels must be a whole number, not 2.5"),
    ("Conv2d", {"bias": 1}, "bias must be true or false, not 1"),
    ("Conv2d", {"padding_mode": "same"}, "padding_mode must be one of 'zeros', 'reflect'"),
    ("Conv2d", {"filters": 3}, "Conv2d has no parameter 'filters'"),
    ("ConvTranspose2d", {"stride": -1}, "stride must be at least 1, got -1"),
    ("Dropout", {"p": 1.5}, "p must be at most 1, got 1.5"),
    ("Dropout", {"p": "half"}, "p must be a number, not 'half'"),
    ("GELU", {"approximate": "fast"}, "approximate must be one of 'none', 'tanh', not 'fast'"),
    ("CrossEntropy", {"reduction": "none"}, "reduction must be one of 'mean', 'sum', not 'none'"),
    ("CrossEntropy", {"label_smoothing": 2.0}, "label_smoothing must be at most 1"),
    ("LayerNorm", {"normalized_shape": (0,)}, "normalized_shape must be at least 1, got 0"),
    ("Reshape", {"shape": (2, -3)}, "shape must be at least -1, got -3"),
    ("MaxPool2d", {"stride": (1, 0)}, "stride must be at least 1, got 0"),
    ("Upsample", {"mode": "area"}, "mode must be one of"),
    ("ReflectionPad2d", {"padding": -1}, "padding must be at least 0, got -1"),
    ("PixelShuffle", {"upscale_factor": 0}, "upscale_factor must be at least 1, got 0"),
    ("Concat", {"dim": True}, "dim must be a whole number, not True"),
]


@pytest.mark.parametrize(("layer", "params", "message"), PARAM_ERRORS,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(PARAM_ERRORS)])
def test_param_error_names_the_parameter(layer, params, message):
    with pytest.raises(ParamError) as info:
        registry.get(layer).validate_params(params)
    assert message in info.value.message


def test_optional_params_accept_empty():
    values = registry.get("MaxPool2d").validate_params({"stride": None})
    assert values["stride"] is None
    assert registry.get("BatchNorm1d").validate_params({"momentum": None})["momentum"] is None
    with pytest.raises(ParamError, match="kernel_size needs a value"):
        registry.get("MaxPool2d").validate_params({"kernel_size": None})
