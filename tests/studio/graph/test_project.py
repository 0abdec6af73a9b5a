"""Project files: stable versioned JSON, atomic saves, weights beside the project, migrations, and one
clear located error for every kind of bad file."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

import engine
from studio.graph import project as project_mod
from studio.graph.errors import ProjectFormatError
from studio.graph.model import Graph
from studio.graph.project import (
    DEFAULT_SETTINGS,
    FORMAT_VERSION,
    MIGRATIONS,
    Project,
    load_weights,
    save_weights,
    validate_settings,
    weights_path,
)


def mlp() -> Graph:
    g = Graph()
    g.add_node("Input", {"shape": (1, 28, 28)}, position=(0.1, 0.2))
    g.add_node("Flatten", position=(100.0, 1 / 3))
    g.add_node("Linear", {"in_features": 784, "out_features": 10}, label="classifier",
               position=(200.5, -7.25))
    g.add_node("Output", position=(300.0, 0.0))
    for src, dst in (("input1", "flatten1"), ("flatten1", "linear1"), ("linear1", "output1")):
        g.connect(src, "out", dst, "in")
    return g


def saved(tmp_path, data: dict | str):
    path = tmp_path / "bad.msproj"
    path.write_text(data if isinstance(data, str) else json.dumps(data, indent=2), encoding="utf-8")
    return path


def test_save_load_round_trip_is_byte_identical(tmp_path):
    p = Project(mlp(), name="MNIST MLP")
    p.settings["batch_size"] = 128
    path = p.save(tmp_path / "model.msproj")
    text = path.read_text(encoding="utf-8")
    assert text.endswith("}\n") and text.startswith('{\n  "blocks"')  # sorted keys, 2-space indent
    loaded = Project.load(path)
    assert loaded.to_json() == text and loaded.path == path
    assert loaded.graph.nodes["input1"].position == (0.1, 0.2)
    assert loaded.graph.nodes["flatten1"].position[1] == 1 / 3  # floats exact
    assert loaded.graph.nodes["input1"].params["shape"] == (1, 28, 28)  # lists become tuples again
    assert loaded.graph.nodes["linear1"].label == "classifier"
    assert loaded.settings["batch_size"] == 128 and loaded.name == "MNIST MLP"
    data = json.loads(text)
    assert data["format_version"] == FORMAT_VERSION == 1
    assert [n["id"] for n in data["graph"]["nodes"]] == ["input1", "flatten1", "linear1", "output1"]
    link = {"src": "input1", "src_port": "out", "dst": "flatten1", "dst_port": "in"}
    assert data["graph"]["links"][0] == link


def test_save_is_atomic_and_leaves_no_temp_file_on_failure(tmp_path, monkeypatch):
    path = tmp_path / "model.msproj"
    Project(mlp(), name="old").save(path)
    old = path.read_bytes()

    def broken_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        Project(Graph(), name="new").save(path)
    assert path.read_bytes() == old
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.msproj"]


def test_save_keeps_file_permissions(tmp_path):
    path = tmp_path / "model.msproj"
    Project(mlp()).save(path)
    path.chmod(0o640)
    Project(mlp()).save(path)
    assert path.stat().st_mode & 0o777 == 0o640


def test_weights_round_trip_beside_the_project(tmp_path):
    engine.manual_seed(0)
    model = engine.nn.Linear(4, 3)
    state = model.state_dict()
    target = save_weights(tmp_path / "model.msproj", state)
    assert target == tmp_path / "model.weights.safetensors"
    assert weights_path(tmp_path / "model.msproj") == target == weights_path(target)
    assert Project(path=tmp_path / "model.msproj").weights_path == target
    loaded = load_weights(tmp_path / "model.msproj")
    assert set(loaded) == {"weight", "bias"}
    for name, value in state.items():
        assert loaded[name].dtype == value.dtype
        np.testing.assert_array_equal(loaded[name].numpy(), value.detach().numpy())
    fresh = engine.nn.Linear(4, 3)
    fresh.load_state_dict(loaded)
    np.testing.assert_array_equal(fresh.weight.detach().numpy(), model.weight.detach().numpy())
    target.write_bytes(target.read_bytes()[:20])
    with pytest.raises(ProjectFormatError, match="weights file is damaged"):
        load_weights(target)


def test_settings_defaults_and_validation():
    settings = validate_settings({})
    assert settings == DEFAULT_SETTINGS and settings is not DEFAULT_SETTINGS
    assert settings["early_stopping"]["patience"] == 5
    assert validate_settings({"early_stopping": {"enabled": True}})["early_stopping"]["patience"] == 5
    for bad, location in (({"batch_size": 0}, "settings.batch_size"), ({"epochs": "3"}, "settings.epochs"),
                          ({"bacth_size": 3}, "settings.bacth_size"),
                          ({"early_stopping": {"patience": -1}}, "settings.early_stopping.patience"),
                          ({"optimizer_options": {"lr": {}}}, "settings.optimizer_options")):
        with pytest.raises(ProjectFormatError) as info:
            validate_settings(bad)
        assert info.value.location == location


def test_migration_from_version_0(tmp_path):
    assert 0 in MIGRATIONS
    v0 = {"format_version": 0, "name": "old", "graph": {
        "nodes": [{"id": "input1", "type": "Input", "params": {"shape": [4]}},
                  {"id": "relu1", "type": "ReLU"}],
        "links": ["input1.out->relu1.in"]}}
    loaded = Project.load(saved(tmp_path, v0))
    assert [str(l) for l in loaded.graph.links] == ["input1.out -> relu1.in"]
    assert json.loads(loaded.to_json())["format_version"] == 1
    v0["graph"]["links"] = ["input1.out=>relu1.in"]
    with pytest.raises(ProjectFormatError, match="expected 'node.port->node.port'") as info:
        Project.load(saved(tmp_path, v0))
    assert info.value.location == "graph.links[0]"


def test_migrations_run_in_sequence(monkeypatch):
    calls = []

    def step(data):
        calls.append(data["format_version"])
        return {**data, "format_version": data["format_version"] + 1}

    monkeypatch.setattr(project_mod, "FORMAT_VERSION", 3)
    monkeypatch.setattr(project_mod, "MIGRATIONS", {1: step, 2: step})
    assert project_mod.migrate({"format_version": 1})["format_version"] == 3
    assert calls == [1, 2]


BASE = Project(mlp(), created="c").to_dict()


def edited(change) -> dict:
    data = json.loads(json.dumps(BASE))
    change(data)
    return data


def _set(path: list, value):
    def change(data):
        target = data
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
    return change


@pytest.mark.parametrize("change, message, location", [
    (_set(["graph", "nodes", 2, "type"], "Conv9d"), "unknown layer type 'Conv9d'", "graph.nodes[2].type"),
    (_set(["graph", "nodes", 2, "params", "out_features"], "10"),
     "out_features must be a whole number, not '10'", "graph.nodes[2].params.out_features"),
    (_set(["graph", "nodes", 2, "params", "out_features"], 0), "at least 1",
     "graph.nodes[2].params.out_features"),
    (_set(["graph", "nodes", 2, "params", "kernel"], 3), "no parameter 'kernel'",
     "graph.nodes[2].params.kernel"),
    (_set(["graph", "links", 1, "dst"], "conv7"), "refers to node 'conv7' which does not exist",
     "graph.links[1]"),
    (_set(["graph", "links", 1, "dst_port"], "x"), "linear1 (Linear) has no input 'x'",
     "graph.links[1].dst_port"),
    (_set(["graph", "links", 1, "src_port"], "y"), "has no output 'y'", "graph.links[1].src_port"),
    (_set(["graph", "nodes", 1, "id"], "input1"), "duplicate node id 'input1'", "graph.nodes[1].id"),
    (_set(["graph", "nodes", 1, "id"], "2x"), "not a valid node id", "graph.nodes[1].id"),
    (lambda d: d["graph"]["links"].append(dict(d["graph"]["links"][0])), "appears twice", "graph.links[3]"),
    (lambda d: d["graph"].pop("links"), "missing 'links'", "graph"),
    (lambda d: d.pop("graph"), "missing 'graph'", None),
    (_set(["graph", "nodes", 0, "position"], [1]), "two numbers", "graph.nodes[0].position"),
    (_set(["graph", "nodes", 0, "label"], 5), "label must be text", "graph.nodes[0].label"),
    (_set(["graph", "nodes"], {}), "nodes must be a list", "graph.nodes"),
    (_set(["settings", "batch_size"], -1), "batch_size must be", "settings.batch_size"),
    (_set(["format_version"], 99), "saved in format 99 by a newer Model Studio", "format_version"),
    (_set(["format_version"], "1"), "format_version must be a whole number", "format_version"),
    (lambda d: d.pop("format_version"), "missing 'format_version'", None),
    (_set(["graph", "nodes", 3, "type"], "Block"), "no block definition ''", "graph.nodes[3].params.block"),
])
def test_bad_files_give_one_located_error(tmp_path, change, message, location):
    with pytest.raises(ProjectFormatError, match=message.replace("(", r"\(").replace(")", r"\)")) as info:
        Project.load(saved(tmp_path, edited(change)))
    assert info.value.location == location
    assert info.value.path == str(tmp_path / "bad.msproj")


def test_cycle_names_the_nodes_on_it(tmp_path):
    data = edited(lambda d: d["graph"]["links"].append(
        {"src": "linear1", "src_port": "out", "dst": "flatten1", "dst_port": "in"}))
    data["graph"]["links"][0]["dst"] = "output1"  # so flatten1.in has a single link
    data["graph"]["links"].pop(2)
    with pytest.raises(ProjectFormatError, match="the links form a cycle through flatten1, linear1"):
        Project.from_dict(data)


def test_port_fed_twice_is_refused():
    data = edited(lambda d: d["graph"]["links"].append(
        {"src": "input1", "src_port": "out", "dst": "linear1", "dst_port": "in"}))
    with pytest.raises(ProjectFormatError, match="input 'in' of linear1 has more than one link") as info:
        Project.from_dict(data)
    assert info.value.location == "graph.links[3]"


def test_truncated_and_non_json_files(tmp_path):
    text = Project(mlp()).to_json()
    with pytest.raises(ProjectFormatError, match="not valid JSON") as info:
        Project.load(saved(tmp_path, text[: len(text) // 2]))
    assert info.value.location.startswith("line ") and " column " in info.value.location
    with pytest.raises(ProjectFormatError, match="must hold a JSON object"):
        Project.load(saved(tmp_path, "[1, 2]"))
    (tmp_path / "bin.msproj").write_bytes(b"\xff\xfe\x00")
    with pytest.raises(ProjectFormatError, match="not UTF-8"):
        Project.load(tmp_path / "bin.msproj")
    with pytest.raises(ProjectFormatError, match="cannot read"):
        Project.load(tmp_path / "missing.msproj")
