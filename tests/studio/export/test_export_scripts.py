"""Exported scripts run an epoch, load the studio's weights and compute the compiled graph's function."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import engine
from studio.export import export_script, write_export
from studio.graph.compile import compile_graph
from studio.graph.model import Graph
from studio.graph.project import Project, save_weights

VENV_BIN = Path(sys.executable).parent


def _chain(g: Graph, names: list[str]) -> None:
    for a, b in zip(names, names[1:]):
        g.connect(a, "out", b, "in")


def _with_loss(g: Graph, logits: str) -> Graph:
    g.add_node("Target", node_id="label")
    g.add_node("CrossEntropy", node_id="loss")
    g.connect(logits, "out", "loss", "input")
    g.connect("label", "out", "loss", "target")
    return g


def mlp_graph() -> Graph:
    g = Graph()
    g.add_node("Input", {"shape": (1, 8, 8)}, node_id="image")
    g.add_node("Flatten", node_id="flatten")
    g.add_node("Linear", {"in_features": 64, "out_features": 16}, node_id="fc1", label="hidden 'layer'")
    g.add_node("ReLU", node_id="act")
    g.add_node("Linear", {"in_features": 16, "out_features": 10}, node_id="fc2")
    g.add_node("Output", node_id="out")
    _chain(g, ["image", "flatten", "fc1", "act", "fc2", "out"])
    return _with_loss(g, "fc2")


def conv_graph() -> Graph:
    g = Graph()
    g.add_node("Input", {"shape": (1, 8, 8)}, node_id="image")
    g.add_node("Conv2d", {"in_channels": 1, "out_channels": 4, "kernel_size": 3, "padding": 1},
               node_id="conv1")
    g.add_node("BatchNorm2d", {"num_features": 4}, node_id="bn1")
    g.add_node("ReLU", node_id="relu1")
    g.add_node("MaxPool2d", {"kernel_size": 2}, node_id="pool1")
    g.add_node("Flatten", node_id="flat")
    g.add_node("Linear", {"in_features": 64, "out_features": 10}, node_id="head")
    g.add_node("Softmax", {"dim": 1}, node_id="probs")
    g.add_node("Output", node_id="out")
    _chain(g, ["image", "conv1", "bn1", "relu1", "pool1", "flat", "head", "probs", "out"])
    return _with_loss(g, "head")  # the loss reads the logits, the Output the probabilities


def branching_graph() -> Graph:
    """Two branches from one input, joined by Add and Concat (residual + skip)."""
    g = Graph()
    g.add_node("Input", {"shape": (2,)}, node_id="point")
    g.add_node("Linear", {"in_features": 2, "out_features": 8}, node_id="left")
    g.add_node("Linear", {"in_features": 2, "out_features": 8}, node_id="right")
    g.add_node("Tanh", node_id="left_act")
    g.add_node("Add", node_id="add")
    g.add_node("Concat", {"dim": 1}, node_id="cat")
    g.add_node("Linear", {"in_features": 16, "out_features": 2}, node_id="head")
    g.add_node("Output", node_id="out")
    _chain(g, ["point", "left", "left_act", "add"])
    _chain(g, ["point", "right", "add"])
    g.connect("right", "out", "cat", "in")
    g.connect("add", "out", "cat", "in")
    _chain(g, ["cat", "head", "out"])
    return _with_loss(g, "head")


GRAPHS = {"mlp": (mlp_graph, "digits", (1, 8, 8)), "conv": (conv_graph, "digits", (1, 8, 8)),
          "branching": (branching_graph, "spirals", (2,))}


def _project(kind: str, tmp_path: Path) -> tuple[Project, dict]:
    make, dataset, _ = GRAPHS[kind]
    project = Project(graph=make(), name=f"{kind} test")
    project.settings.update(dataset={"name": dataset}, epochs=1, batch_size=128, seed=3)
    project.path = tmp_path / f"{kind}.msproj"  # only for its weights file; never saved
    engine.manual_seed(0)
    state = compile_graph(project.graph, include_loss=True).state_dict()
    save_weights(project.path, state)
    return project, state


def _import(path: Path):
    spec = importlib.util.spec_from_file_location(f"exported_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _run(args: list[str], cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess:
    result = subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def _expected(project: Project, x: np.ndarray) -> np.ndarray:
    compiled = compile_graph(project.graph)
    compiled.load_state_dict(project_state(project))
    compiled.eval()
    return compiled(engine.from_numpy(x)).detach().numpy()


def project_state(project: Project) -> dict:
    from studio.graph.project import load_weights

    return load_weights(project.path)


@pytest.mark.parametrize("kind", ["mlp", "conv", "branching"])
def test_engine_script_matches_the_compiled_graph_and_trains_an_epoch(kind, tmp_path):
    project, _ = _project(kind, tmp_path)
    script = write_export(project, "engine", tmp_path / f"{kind}_engine.py")
    assert script.with_suffix(".safetensors").is_file() and (tmp_path / f"{kind}_engine_data.npz").is_file()
    module = _import(script)
    model = module.Model()
    module.load_weights(model, script.with_suffix(".safetensors"))  # the weights write_export put beside it
    model.eval()
    x = np.random.default_rng(0).standard_normal((5, *GRAPHS[kind][2])).astype(np.float32)
    np.testing.assert_allclose(model(engine.from_numpy(x)).detach().numpy(), _expected(project, x),
                               rtol=0, atol=1e-6)
    result = _run([sys.executable, str(script), "--epochs", "1", "--device", "cpu"], tmp_path)
    assert "epoch 1/1" in result.stdout and (tmp_path / f"{kind}_engine_trained.safetensors").is_file()
    if kind == "mlp":
        assert "accuracy" in result.stdout


@pytest.mark.parity
@pytest.mark.parametrize("kind", ["mlp", "conv", "branching"])
def test_torch_script_matches_the_engine_and_trains_an_epoch(kind, tmp_path):
    import torch

    project, _ = _project(kind, tmp_path)
    script = write_export(project, "torch", tmp_path / f"{kind}_torch.py")
    module = _import(script)
    model = module.Model()
    module.load_weights(model, script.with_suffix(".safetensors"))
    model.eval()
    x = np.random.default_rng(1).standard_normal((5, *GRAPHS[kind][2])).astype(np.float32)
    with torch.no_grad():
        got = model(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(got, _expected(project, x), rtol=1e-5, atol=1e-5)
    result = _run([sys.executable, str(script), "--epochs", "1", "--device", "cpu"], tmp_path)
    assert "epoch 1/1" in result.stdout
    engine_module = _import(write_export(project, "engine", tmp_path / f"{kind}_engine.py"))
    engine_module.load_weights(engine_module.Model(), tmp_path / f"{kind}_torch_trained.safetensors")


@pytest.mark.parity
def test_ddp_script_trains_an_epoch_on_two_cpu_processes(tmp_path):
    torchrun = VENV_BIN / "torchrun"
    if not torchrun.exists():
        pytest.skip("torchrun is not installed beside this Python")
    project, _ = _project("branching", tmp_path)
    script = write_export(project, "torch-ddp", tmp_path / "branching_ddp.py")
    text = script.read_text()
    assert "torchrun --nproc_per_node" in text.split('"""')[1]
    assert "DistributedSampler" in text and "set_epoch(epoch)" in text
    result = _run([str(torchrun), "--nproc_per_node=2", "--standalone", str(script), "--epochs", "1",
                   "--device", "cpu"], tmp_path, timeout=180)
    assert result.stdout.count("epoch 1/1") == 1  # rank 0 only
    assert (tmp_path / "branching_ddp_trained.safetensors").is_file()


def test_a_project_without_dataset_trains_on_random_data_of_its_shapes(tmp_path):
    project = Project(graph=mlp_graph())
    project.settings.update(epochs=1, optimizer="SGD", optimizer_options={"lr": 0.1, "momentum": 0.9},
                            scheduler="OneCycleLR", scheduler_options={})
    script = write_export(project, "engine", tmp_path / "random_data.py")
    assert not script.with_suffix(".safetensors").exists()
    assert "epoch 1/1" in _run([sys.executable, str(script), "--epochs", "1"], tmp_path).stdout


def test_generated_scripts_are_lint_clean(tmp_path):
    project, _ = _project("conv", tmp_path)
    ruff = shutil.which("ruff") or str(VENV_BIN / "ruff")
    if not Path(ruff).exists():
        pytest.skip("ruff is not installed")
    paths = []
    for target in ("engine", "torch", "torch-ddp"):
        text = export_script(project, target)
        compile(text, target, "exec")
        path = tmp_path / f"lint_{target.replace('-', '_')}.py"
        path.write_text(text)
        paths.append(str(path))
    result = subprocess.run([ruff, "check", "--isolated", "--select", "E4,E7,E9,F", *paths],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout
