"""The training script around the generated Model: settings, data, optimizer, loop, weights and main.

One text serves the engine and PyTorch (they spell everything the same; only the imports differ), and the
DDP variant swaps in the pieces from ddp.py. User-provided values (names, paths, options) reach the code
only through repr(); option names must be identifiers and optimizer/scheduler names known classes.
"""

from __future__ import annotations

import keyword
from collections.abc import Mapping
from dataclasses import dataclass
from string import Template
from typing import Any

from studio.graph.project import Project

from . import ddp
from .codegen import ModelCode, model_code

TARGETS = ("engine", "torch", "torch-ddp")
OPTIMIZERS = ("SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta")
SCHEDULERS = ("StepLR", "MultiStepLR", "ExponentialLR", "CosineAnnealingLR", "CosineAnnealingWarmRestarts",
              "OneCycleLR", "ReduceLROnPlateau", "LinearLR", "ConstantLR", "PolynomialLR")
_TUPLE_OPTIONS = frozenset({"betas", "etas", "step_sizes"})
# settings["loss"] may name a loss layer type or its torch module
_LOSSES = {"CrossEntropy": "CrossEntropyLoss", "NLL": "NLLLoss", "MSE": "MSELoss", "L1": "L1Loss",
           "SmoothL1": "SmoothL1Loss", "BCE": "BCELoss", "BCEWithLogits": "BCEWithLogitsLoss"}
_CLASS_LOSSES = ("CrossEntropy", "NLL")


class ExportError(ValueError):
    """The project cannot become a script (an unknown target, optimizer or option name, ...)."""


@dataclass
class Plan:
    """Everything the templates need, checked."""

    target: str
    model: ModelCode
    settings: Mapping[str, Any]
    criterion: str | None  # e.g. "nn.MSELoss()" when the loss is not built into the Model
    accuracy: bool
    dataset: Mapping[str, Any] | None
    project_name: str = "model"


_HEADER = '''\
"""$title

Exported by Model Studio: the model, the project's data and its training settings, standalone.
$launch
Files beside this script: <name>.safetensors (weights to start from, when exported with weights) and
<name>_data.npz (the dataset's train/validation arrays).
"""

import argparse
$imports'''

_IMPORTS = {
    "engine": """from pathlib import Path

import numpy as np
from safetensors.numpy import load_file, save_file

import engine as torch
from engine import nn
from engine.utils.data import DataLoader, TensorDataset
""",
    "torch": """from pathlib import Path

import numpy as np
import torch
from safetensors.numpy import load_file, save_file
from torch import nn
from torch.utils.data import DataLoader, TensorDataset
""",
}

_CONSTANTS = '''\
PROJECT = $project
DATASET = $dataset
HERE = Path(__file__).resolve()
WEIGHTS_FILE = HERE.with_suffix(".safetensors")
DATA_FILE = HERE.with_name(HERE.stem + "_data.npz")
BATCH_SIZE = $batch_size
EPOCHS = $epochs
SEED = $seed
DEVICE = $device
'''

_LOAD_NPZ = '''\
def load_data():
    """The project's dataset as saved at export: (x_train, y_train, x_val, y_val) arrays."""
    if not DATA_FILE.exists():
        raise SystemExit(f"{DATA_FILE} is missing: export the project again to write its data")
    with np.load(DATA_FILE, allow_pickle=False) as data:
        return data["x_train"], data["y_train"], data["x_val"], data["y_val"]
'''

_RANDOM_DATA = '''\
def load_data():
    """No dataset was chosen in the project: random samples of the model's input and target shapes."""
    rng = np.random.default_rng(0 if SEED is None else SEED)
    x = $x
    y = $y
    return x[:192], y[:192], x[192:], y[192:]
'''

_COMMON = '''\
def pick_device(name):
    if name == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    return name


def load_weights(model, path):
    state = {name: torch.from_numpy(array) for name, array in load_file(str(path)).items()}
    model.load_state_dict(state)


def save_weights(model, path):
    arrays = {name: np.ascontiguousarray(value.detach().cpu().numpy())
              for name, value in model.state_dict().items()}
    save_file(arrays, str(path))


def make_optimizer(model):
    return $optimizer


def make_scheduler(optimizer, epochs, steps_per_epoch):
    return $scheduler
'''

_LOADER = '''\
def make_loader(x, y, shuffle):
    dataset = TensorDataset(torch.from_numpy(x), torch.from_numpy(y))
    generator = torch.Generator()
    generator.manual_seed(0 if SEED is None else SEED)
    return DataLoader(dataset, batch_size=BATCH_SIZE, shuffle=shuffle, generator=generator)
'''

_RUN_EPOCH = '''\
def run_epoch(model, loader, device, optimizer=None, scheduler=None):
    """One pass over `loader`, training when given an optimizer; returns $returns."""
    training = optimizer is not None
    model.train(training)
    total_loss, seen, correct, counted = 0.0, 0, 0, 0
    with torch.set_grad_enabled(training):
        for x, y in loader:
            x, y = x.to(device), y.to(device)
$forward
            if training:
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                if $per_batch:
                    scheduler.step()
            total_loss += loss.item() * x.shape[0]
            seen += x.shape[0]
$accuracy$reduce    return $result
'''

_TRAIN = '''\
def train(epochs=EPOCHS, weights=None, device=DEVICE, out=None):
$setup    if SEED is not None:
        torch.manual_seed(SEED)
    x_train, y_train, x_val, y_val = load_data()
    train_loader = make_loader(x_train, y_train, shuffle=True)
    val_loader = make_loader(x_val, y_val, shuffle=False)
    model = Model()
    if weights:
        load_weights(model, weights)
    model.to(device)
$wrap    optimizer = make_optimizer(model)
    scheduler = make_scheduler(optimizer, epochs, len(train_loader))
    per_batch = $per_batch_name
    for epoch in range(1, epochs + 1):
$set_epoch        batch_scheduler = scheduler if per_batch else None
        train_stats = run_epoch(model, train_loader, device, optimizer, batch_scheduler)
        val_stats = run_epoch(model, val_loader, device)
        if scheduler is not None and not per_batch:
            $epoch_step
$print_guard        print(f"epoch {epoch}/{epochs}  $line")
$save$teardown    return $result


def main(argv=None):
    parser = argparse.ArgumentParser(description=f"Train the Model Studio project {PROJECT!r}.")
    parser.add_argument("--epochs", type=int, default=EPOCHS, help="passes over the training data")
    parser.add_argument("--weights", default=str(WEIGHTS_FILE) if WEIGHTS_FILE.exists() else None,
                        help="safetensors weights to start from (default: the exported ones, if any)")
    parser.add_argument("--device", default=DEVICE, help="auto, cpu, cuda or cuda:N")
    parser.add_argument("--out", default=str(HERE.with_name(HERE.stem + "_trained.safetensors")),
                        help="where to save the trained weights (safetensors)")
    args = parser.parse_args(argv)
    train(args.epochs, args.weights, args.device, args.out)


if __name__ == "__main__":
    main()
'''


def _identifier(name: Any, what: str) -> str:
    if not isinstance(name, str) or not name.isidentifier() or keyword.iskeyword(name) or not name.isascii():
        raise ExportError(f"{what} {name!r} is not a valid option name")
    return name


def _call(name: str, first: str, options: Mapping[str, Any], what: str) -> str:
    parts = [first]
    for key, value in options.items():
        key = _identifier(key, f"{what} option")
        if key in _TUPLE_OPTIONS and isinstance(value, list):
            value = tuple(value)
        parts.append(f"{key}={value!r}")
    return f"{name}({', '.join(parts)})"


def optimizer_code(settings: Mapping[str, Any]) -> str:
    name = settings.get("optimizer") or "Adam"
    if name not in OPTIMIZERS:
        raise ExportError(f"unknown optimizer {name!r} (known: {', '.join(OPTIMIZERS)})")
    return _call(f"torch.optim.{name}", "model.parameters()", dict(settings.get("optimizer_options") or {}),
                 "optimizer")


def scheduler_code(settings: Mapping[str, Any]) -> tuple[str, bool, bool]:
    """(expression, stepped per batch, stepped on the validation loss); the trainer's defaults."""
    name = settings.get("scheduler")
    if not name:
        return "None", False, False
    if name not in SCHEDULERS:
        raise ExportError(f"unknown scheduler {name!r} (known: {', '.join(SCHEDULERS)})")
    options = dict(settings.get("scheduler_options") or {})
    fills: list[str] = []
    if name == "CosineAnnealingLR" and "T_max" not in options:
        fills.append("T_max=epochs")
    elif name == "OneCycleLR":
        if "max_lr" not in options:
            fills.append('max_lr=optimizer.param_groups[0]["lr"]')
        if "epochs" not in options and "steps_per_epoch" not in options and "total_steps" not in options:
            fills.append("total_steps=max(1, epochs * steps_per_epoch)")
    elif name == "ReduceLROnPlateau":
        options.setdefault("mode", "min")
    code = _call(f"torch.optim.lr_scheduler.{name}", "optimizer", options, "scheduler")
    if fills:
        code = f"{code[:-1]}, {', '.join(fills)})"
    return code, name == "OneCycleLR", name == "ReduceLROnPlateau"


def plan(project: Project, target: str) -> Plan:
    if target not in TARGETS:
        raise ExportError(f"unknown export target {target!r} (known: {', '.join(TARGETS)})")
    settings = project.settings
    loss_name = settings.get("loss")
    model = model_code(project.graph, with_loss=not loss_name and _has_loss(project))
    criterion = None
    loss_types = model.loss_types
    if loss_name:
        module = _LOSSES.get(loss_name, loss_name)
        if module not in _LOSSES.values():
            raise ExportError(f"unknown loss {loss_name!r} (known: {', '.join(_LOSSES)})")
        criterion = f"nn.{module}()"
        loss_types = [next(k for k, v in _LOSSES.items() if v == module)]
    elif not model.loss_names:
        targets = [dtype for n, dtype in model.input_dtypes.items() if n not in model.input_names]
        classes = "int64" in targets
        criterion = "nn.CrossEntropyLoss()" if classes else "nn.MSELoss()"
        loss_types = ["CrossEntropy" if classes else "MSE"]
    if len(model.input_names) != 1:
        raise ExportError(f"a training script feeds one input, but the graph has {len(model.input_names)} "
                          "Input nodes")
    accuracy = "accuracy" in (settings.get("metrics") or []) and bool(loss_types) and \
        loss_types[0] in _CLASS_LOSSES
    dataset = settings.get("dataset")
    if isinstance(dataset, str):  # the old project format named a dataset only
        dataset = {"name": dataset}
    return Plan(target, model, settings, criterion, accuracy, dataset, project.name)


def _has_loss(project: Project) -> bool:
    from .codegen import expanded

    return any(node.spec.role == "loss" for node in expanded(project.graph))


def _sub(template: str, **values: str) -> str:
    return Template(template).substitute(values)


def render(p: Plan) -> str:
    distributed = p.target == "torch-ddp"
    s = p.settings
    title = "PyTorch DistributedDataParallel training script" if distributed else \
        "PyTorch training script" if p.target == "torch" else "Model Studio engine training script"
    launch = f"\nLaunch: {ddp.LAUNCH}\n" if distributed else "\nRun: python <this file> --epochs 10\n"
    imports = _IMPORTS["engine" if p.target == "engine" else "torch"]
    if distributed:
        imports = ddp.IMPORTS
    header = _sub(_HEADER, title=title, launch=launch, imports=imports)
    seed = s.get("seed")
    constants = _sub(_CONSTANTS, project=repr(p.project_name), dataset=_dataset_literal(p.dataset),
                     batch_size=repr(int(s.get("batch_size") or 64)), epochs=repr(int(s.get("epochs") or 1)),
                     seed=repr(seed if isinstance(seed, int) else None),
                     device=repr(s.get("device") or "auto"))
    scheduler, per_batch, on_metric = scheduler_code(s)
    common = _sub(_COMMON, optimizer=optimizer_code(s), scheduler=scheduler)
    data = _LOAD_NPZ if p.dataset else _random_data(p.model)
    sections = [header.rstrip("\n") + "\n\n" + constants]
    if p.model.helpers:
        sections.append(p.model.helper_source())
    sections += [p.model.source, data, common]
    sections += [ddp.SETUP, ddp.LOADER] if distributed else [_LOADER]
    sections += [_run_epoch(p, distributed), _train(p, distributed, per_batch, on_metric)]
    return "\n\n".join(section.rstrip("\n") + "\n" for section in sections)


def _dataset_literal(dataset: Mapping[str, Any] | None) -> str:
    """The spec as a Python literal (JSON values only, so repr() is valid code), paths included."""
    return repr(_plain(dict(dataset)) if dataset else None)


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)


def _random_data(model: ModelCode) -> str:
    name = model.input_names[0]
    x_shape = (256, *model.input_shapes[name])
    x = f"rng.standard_normal({x_shape!r}).astype(np.float32)"
    if model.input_dtypes[name] == "int64":
        x = f"rng.integers(0, 2, size={x_shape!r})"
    target = model.target_names[0] if model.target_names else None
    if target is None or model.input_dtypes[target] == "float32":
        shape = (256, *model.input_shapes[target]) if target else x_shape
        y = f"rng.standard_normal({shape!r}).astype(np.float32)"
    else:
        y = f"rng.integers(0, 2, size={(256, *model.input_shapes[target])!r})"
    return _sub(_RANDOM_DATA, x=x, y=y)


def _run_epoch(p: Plan, distributed: bool) -> str:
    if p.criterion is None:
        forward = "            output, loss = model(x, y)"
    else:
        forward = f"            output = model(x)\n            loss = {p.criterion}(output, y)"
    accuracy = ("            correct += (output.argmax(1) == y).sum().item()\n"
                "            counted += y.numel()\n") if p.accuracy else ""
    reduce = ddp.REDUCE if distributed else ""
    result = "total_loss / seen, (correct / counted if counted else None)"
    returns = "(mean loss, accuracy or None)"
    return _sub(_RUN_EPOCH, returns=returns, forward=forward, per_batch="scheduler is not None",
                accuracy=accuracy, reduce=reduce, result=result)


def _train(p: Plan, distributed: bool, per_batch: bool, on_metric: bool) -> str:
    line = "loss {train_stats[0]:.4f}  val_loss {val_stats[0]:.4f}"
    if p.accuracy:
        indent = " " * (18 if distributed else 14)
        line += f'"\n{indent}f"  accuracy {{train_stats[1]:.3f}}  val_accuracy {{val_stats[1]:.3f}}'

    epoch_step = "scheduler.step(val_stats[0])" if on_metric else "scheduler.step()"
    pieces = ddp.train_pieces(p.model.output_only_layers) if distributed else {
        "setup": "    device = pick_device(device)\n", "wrap": "", "set_epoch": "", "print_guard": "",
        "save": "    if out:\n        save_weights(model, out)\n        print(f\"saved {out}\")\n",
        "teardown": "", "result": "model"}
    return _sub(_TRAIN, per_batch_name=repr(per_batch), epoch_step=epoch_step, line=line, **pieces)
