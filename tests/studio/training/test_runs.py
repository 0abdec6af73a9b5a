"""Runs on disk: every training of a saved project leaves a folder that lists, loads and compares."""

import csv
import json
from datetime import datetime

import numpy as np
import pytest
from safetensors.numpy import load_file

from studio.graph.project import Project
from studio.training.datasets import open_dataset
from studio.training.runs import compare_runs, list_runs, load_run, new_run_dir, runs_dir
from studio.training.trainer import Trainer


@pytest.fixture
def saved(tmp_path, tiny_classifier):
    settings = {"epochs": 2, "batch_size": 16, "metrics": ["accuracy", "top2"]}
    project = Project(graph=tiny_classifier(), settings=settings)
    project.save(tmp_path / "model.msproj")
    return project


def test_a_saved_project_trains_into_a_run_folder_with_every_file(saved, tmp_path, moons):
    trainer = Trainer(saved, data=moons(), run_name="first try")
    result = trainer.run()
    folder = result.run_dir
    assert folder.parent == tmp_path / "runs" and folder.name.endswith("-first-try")
    datetime.strptime(folder.name[:15], "%Y%m%d-%H%M%S")
    names = {p.name for p in folder.iterdir()}
    assert names == {"graph.msproj", "settings.json", "run.json", "metrics.csv", "steps.csv",
                     "weights.safetensors", "checkpoint.safetensors"}
    snapshot = Project.load(folder / "graph.msproj")
    assert set(snapshot.graph.nodes) == set(saved.graph.nodes)
    assert json.loads((folder / "settings.json").read_text())["seed_used"] == 0
    status = json.loads((folder / "run.json").read_text())
    assert (status["status"], status["epochs_done"], status["steps_done"]) == ("finished", 2, 10)

    rows = list(csv.DictReader((folder / "metrics.csv").open()))
    assert list(rows[0]) == ["epoch", "step", "train_loss", "val_loss", "lr", "seconds", "accuracy", "top2",
                             "train_accuracy", "train_top2"]
    assert [int(r["epoch"]) for r in rows] == [1, 2] and [int(r["step"]) for r in rows] == [5, 10]
    for row, info in zip(rows, result.history):
        assert float(row["train_loss"]) == pytest.approx(info.train_loss)
        assert float(row["val_loss"]) == pytest.approx(info.val_loss)
        assert float(row["accuracy"]) == pytest.approx(info.metrics["accuracy"])

    weights = load_file(folder / "weights.safetensors")
    for name, value in trainer.model.state_dict().items():
        np.testing.assert_array_equal(weights[name], value.numpy())
    # the project's own files are left alone
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.msproj", "runs"]


def test_runs_list_load_and_compare(saved, tmp_path, moons):
    Trainer(saved, data=moons()).run()
    saved.settings["optimizer_options"] = {"lr": 0.05}
    Trainer(saved, data=moons(), run_name="fast").run(epochs=1)
    runs = list_runs(tmp_path / "model.msproj")
    assert runs == list_runs(tmp_path)
    assert len(runs) == 2 and runs[1].name.endswith("-fast")
    first = runs[0]
    assert (first.status, first.epochs_done, len(first.history)) == ("finished", 2, 2)
    assert first.metrics["epoch"] == 2 and 0 <= first.metrics["accuracy"] <= 1
    assert first.settings["optimizer_options"] == {"lr": 0.001}
    assert first.has_checkpoint and first.weights_path is not None
    assert load_run(first.path).metrics == first.metrics

    table = compare_runs(runs)
    assert table.columns[:5] == ["run", "status", "epochs", "train_loss", "val_loss"]
    assert "accuracy" in table.columns and "epochs" in table.columns
    assert "optimizer_options.lr" in table.columns and "batch_size" not in table.columns  # only differences
    lr = table.columns.index("optimizer_options.lr")
    assert [row[lr] for row in table.rows] == [0.001, 0.05]
    text = table.to_text()
    assert runs[1].name in text and "optimizer_options.lr" in text.splitlines()[0]


def test_an_explicit_run_dir_is_used_even_without_a_project_path(tmp_path, tiny_classifier, moons):
    project = Project(graph=tiny_classifier(), settings={"epochs": 1})
    result = Trainer(project, data=moons(), run_dir=tmp_path / "r").run()
    assert result.run_dir == tmp_path / "r"
    assert load_run(tmp_path / "r").status == "finished"


def test_a_failed_run_records_its_message_and_traceback(tmp_path, tiny_classifier, moons):
    wrong = open_dataset({"name": "sine", "options": {"count": 50}})  # 1 feature, the Input takes 2
    result = Trainer(Project(graph=tiny_classifier(), settings={"epochs": 1}), data=wrong,
                     run_dir=tmp_path / "r").run()
    assert result.status == "failed" and "shape (2,)" in result.message
    assert not (tmp_path / "r").exists()  # refused before training: no run folder

    broken = moons()
    broken.val = None  # fails at the first validation, inside the loop
    result = Trainer(Project(graph=tiny_classifier(), settings={"epochs": 1}), data=broken,
                     run_dir=tmp_path / "r").run()
    assert result.status == "failed"
    info = load_run(tmp_path / "r")
    assert (info.status, info.message) == ("failed", result.message)
    assert "Traceback" in json.loads((tmp_path / "r" / "run.json").read_text())["traceback"]


def test_run_folder_names_are_timestamps_with_an_optional_clean_name(tmp_path):
    now = datetime(2024, 1, 2, 3, 4, 5)
    assert new_run_dir(tmp_path, None, now).name == "20240102-030405"
    assert new_run_dir(tmp_path, None, now).name == "20240102-030405-2"
    assert new_run_dir(tmp_path, "lr 0.1 / adam!", now).name == "20240102-030405-lr-0.1-adam"


def test_listing_tolerates_missing_and_half_written_runs(tmp_path):
    assert list_runs(tmp_path) == []
    crashed = runs_dir(tmp_path) / "20240102-030405"
    crashed.mkdir(parents=True)
    (crashed / "run.json").write_text('{"status": "running"}')
    (runs_dir(tmp_path) / ".hidden").mkdir()
    [info] = list_runs(tmp_path)
    assert (info.status, info.started, info.metrics, info.epochs_done) == ("running", "2024-01-02T03:04:05",
                                                                          {}, 0)
    assert not info.has_checkpoint
    with pytest.raises(FileNotFoundError):
        load_run(tmp_path / "nothing")
