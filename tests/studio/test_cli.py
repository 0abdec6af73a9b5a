"""The `studio` command, called in-process through main(argv) (one subprocess test for `python -m studio`)."""

import io
import os
import pathlib
import signal
import subprocess
import sys

import pytest

from studio import __version__, cli
from studio.graph.model import Graph
from studio.graph.project import Project
from studio.training.callbacks import BatchInfo, EpochInfo, RunResult

ROOT = pathlib.Path(__file__).resolve().parents[2]


def _tiny_project(tmp_path, *, broken=False, epochs=1):
    """Spirals through a small MLP; `broken` makes fc2 expect the wrong number of features."""
    g = Graph()
    g.add_node("Input", {"shape": (2,)}, node_id="points")
    g.add_node("Linear", {"in_features": 2, "out_features": 16}, node_id="fc1")
    g.add_node("ReLU", node_id="relu")
    g.add_node("Linear", {"in_features": 8 if broken else 16, "out_features": 2}, node_id="fc2")
    g.add_node("Output", node_id="output")
    g.add_node("Target", {"shape": ()}, node_id="target")
    g.add_node("CrossEntropy", node_id="loss")
    for src, dst in (("points", "fc1"), ("fc1", "relu"), ("relu", "fc2"), ("fc2", "output")):
        g.connect(src, "out", dst, "in")
    g.connect("fc2", "out", "loss", "input")
    g.connect("target", "out", "loss", "target")
    settings = {"dataset": {"name": "spirals", "options": {"count": 200}, "val_fraction": 0.25, "seed": 0},
                "epochs": epochs, "batch_size": 50, "checkpoint_interval": 0}
    project = Project(graph=g, name="Tiny", settings=settings)
    return project.save(tmp_path / "tiny.msproj")


# ---------------------------------------------------------------------------------- basics ---
def test_version(capsys):
    with pytest.raises(SystemExit) as caught:
        cli.main(["--version"])
    assert caught.value.code == 0
    assert capsys.readouterr().out.strip() == f"studio {__version__}"


def test_bad_usage_exits_2(capsys):
    for argv in (["frobnicate"], ["train"], ["export", "lenet5", "--target", "jax", "-o", "x.py"],
                 ["train", "lenet5", "--epochs", "0"], ["train", "lenet5", "--device", "tpu"]):
        with pytest.raises(SystemExit) as caught:
            cli.main(argv)
        assert caught.value.code == 2, argv
        assert "usage: studio" in capsys.readouterr().err


def test_no_command_without_gui_says_so(capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "studio.qt.app", None)  # importing it raises ImportError
    assert cli.main([]) == 0
    assert "not available" in capsys.readouterr().out


def test_templates_lists_names_titles_descriptions(capsys):
    assert cli.main(["templates"]) == 0
    out = capsys.readouterr().out
    for name in ("lenet5", "mlp", "char_gru", "unet_small"):
        assert name in out
    assert "LeNet-5 on Shapes" in out and "Concat skip connections" in out


# ------------------------------------------------------------------------------------ info ---
def test_info_table_and_totals(capsys):
    assert cli.main(["info", "lenet5"]) == 0
    out = capsys.readouterr().out
    header = out.splitlines()[0].split()
    assert header == ["node", "type", "output", "shape", "params", "FLOPs"]
    conv1 = next(line for line in out.splitlines() if line.startswith("conv1 "))
    assert "Conv2d" in conv1 and "N×6×28×28" in conv1 and "150" in conv1  # 6·1·5·5 weights, no bias
    assert "N×4" in next(line for line in out.splitlines() if line.startswith("fc3 "))
    assert "61,218 parameters" in out


def test_info_lists_errors_and_exits_1(tmp_path, capsys):
    path = _tiny_project(tmp_path, broken=True)
    assert cli.main(["info", str(path)]) == 1
    out = capsys.readouterr().out
    assert "1 error:" in out
    assert "fc2" in out and "expects 8 input features but receives 16" in out


@pytest.mark.parametrize("content, expected", [
    ("{not json", "not valid JSON"),
    ('{"format_version": 1, "graph": {"nodes": [{"id": "a", "type": "Nope"}], "links": []}}',
     "unknown layer type 'Nope'"),
    ("[]", "JSON object"),
])
def test_bad_project_is_one_error_line_exit_2(tmp_path, capsys, content, expected):
    path = tmp_path / "bad.msproj"
    path.write_text(content, encoding="utf-8")
    for command in ("info", "train"):
        assert cli.main([command, str(path)]) == 2
        err = capsys.readouterr().err
        assert err.startswith("studio: error: ") and expected in err
        assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_missing_file_and_unknown_template(tmp_path, capsys):
    assert cli.main(["info", str(tmp_path / "absent.msproj")]) == 2
    assert "cannot read" in capsys.readouterr().err
    assert cli.main(["info", "lenet6"]) == 2
    err = capsys.readouterr().err
    assert "no template 'lenet6'" in err and "lenet5" in err


# ---------------------------------------------------------------------------------- export ---
def test_export_writes_a_script(tmp_path, capsys):
    target = tmp_path / "model.py"
    assert cli.main(["export", "lenet5", "--target", "torch", "-o", str(target)]) == 0
    assert str(target) in capsys.readouterr().out
    source = target.read_text(encoding="utf-8")
    compile(source, str(target), "exec")
    assert "Conv2d" in source


# ----------------------------------------------------------------------------------- train ---
def test_train_tiny_project(tmp_path, capsys):
    path = _tiny_project(tmp_path)
    assert cli.main(["train", str(path), "--epochs", "1", "--device", "cpu", "--run-name", "smoke"]) == 0
    captured = capsys.readouterr()
    assert "epoch 1: train loss" in captured.err
    assert "\r" in captured.err and "3/3" in captured.err  # 150 training samples in batches of 50
    runs = list((tmp_path / "runs").iterdir())
    assert len(runs) == 1 and runs[0].name.endswith("-smoke")
    assert f"run saved in {runs[0]}" in captured.out


def test_train_quiet_has_no_progress_bar(tmp_path, capsys):
    path = _tiny_project(tmp_path)
    assert cli.main(["train", str(path), "--quiet"]) == 0
    err = capsys.readouterr().err
    assert "\r" not in err and "epoch 1: train loss" in err


class _FakeTrainer:
    """Stands in for studio.training.trainer.Trainer to drive the CLI's exit codes."""

    outcome = "finished"

    def __init__(self, project, *, callbacks=None, run_dir=None, run_name=None):
        self.callbacks, self.run_dir, self.stopped = callbacks, run_dir, False
        _FakeTrainer.last = self

    def stop(self):
        self.stopped = True

    def run(self, epochs=None):
        self.callbacks.on_batch(BatchInfo(1, 1, 0.5, 1e-3, 100.0, batch=1, batches=2))
        if self.outcome == "interrupt":
            os.kill(os.getpid(), signal.SIGINT)  # the handler asks us to stop; we end after this batch
            assert self.stopped
            return RunResult("stopped", "stopped by the user", 0, run_dir=self.run_dir)
        if self.outcome == "diverged":
            return RunResult("diverged", "the loss became NaN at step 1", 0, run_dir=self.run_dir)
        self.callbacks.on_epoch(EpochInfo(1, 0.5, 0.4, {"accuracy": 0.75}))
        return RunResult("finished", "", 1, run_dir=self.run_dir)


@pytest.mark.parametrize("outcome, code", [("finished", 0), ("diverged", 1), ("interrupt", 130)])
def test_train_exit_codes(tmp_path, capsys, monkeypatch, outcome, code):
    from studio.training import trainer

    monkeypatch.setattr(trainer, "Trainer", _FakeTrainer)
    monkeypatch.setattr(_FakeTrainer, "outcome", outcome)
    path = _tiny_project(tmp_path)
    before = signal.getsignal(signal.SIGINT)
    assert cli.main(["train", str(path)]) == code
    err = capsys.readouterr().err
    if outcome == "diverged":
        assert "studio: training diverged: the loss became NaN" in err
    if outcome == "interrupt":
        assert "stopping after this batch" in err
    assert signal.getsignal(signal.SIGINT) is before  # handler restored


def test_progress_bar_redraws_in_place():
    stream = io.StringIO()
    progress = cli.Progress(stream, min_interval=0.0)
    for batch in range(1, 4):
        progress.on_batch(BatchInfo(2, 10 + batch, 1.0 / batch, 1e-3, 512.0, batch=batch, batches=3))
    progress.on_epoch(EpochInfo(2, 0.6, 0.5, {"accuracy": 0.9, "train_accuracy": 0.85}, seconds=3.0))
    text = stream.getvalue()
    assert text.count("\r") == 3
    assert "epoch 2" in text and "3/3" in text and "512 samples/s" in text and "ETA" in text
    assert "epoch 2: train loss 0.6000, val loss 0.5000, accuracy 90.0%, train accuracy 85.0%" in text


def test_python_dash_m_help():
    out = subprocess.run([sys.executable, "-m", "studio", "--help"], capture_output=True, text=True,
                         cwd=ROOT, timeout=120)
    assert out.returncode == 0, out.stderr
    for command in ("train", "export", "info", "templates"):
        assert command in out.stdout


def test_a_project_argument_opens_it_in_the_editor(monkeypatch, tmp_path):
    opened = []
    fake = type(sys)("studio.qt.app")
    fake.main = lambda argv: opened.append(argv) or 0
    monkeypatch.setitem(sys.modules, "studio.qt.app", fake)
    assert cli.main(["lenet5"]) == 0
    assert cli.main([str(tmp_path / "model.msproj")]) == 0
    assert cli.main([]) == 0
    assert opened == [["lenet5"], [str(tmp_path / "model.msproj")], []]
