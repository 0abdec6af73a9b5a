"""Checkpoints: a stopped or crashed run resumes to exactly the result of an uninterrupted one."""

import random

import numpy as np
import pytest

import engine
from studio.graph.project import Project
from studio.training import checkpoints as ckpt
from studio.training.trainer import Trainer

SETTINGS = {"epochs": 2, "batch_size": 16, "optimizer": "Adam", "optimizer_options": {"lr": 0.01},
            "scheduler": "StepLR", "scheduler_options": {"step_size": 1, "gamma": 0.5}, "seed": 7,
            "metrics": ["accuracy"]}


@pytest.fixture
def graph(tiny_classifier):
    """graph() -> the tiny classifier with 16 hidden units and a Dropout, which draws from the engine RNG:
    its state must resume too."""
    return lambda: tiny_classifier(hidden=16, dropout=0.2)


@pytest.fixture
def data(moons):
    """data() -> 200 two-moons samples: 160 train, 10 batches per epoch."""
    return lambda: moons(count=200, seed=2)


class Losses:
    def __init__(self, stop_at=None, trainer=None):
        self.losses, self.stop_at, self.trainer = [], stop_at, trainer

    def on_batch(self, info):
        self.losses.append(info.loss)
        if info.step == self.stop_at:
            self.trainer.stop()


def state(model):
    return {k: v.detach().numpy().copy() for k, v in model.state_dict().items()}


def assert_same(a, b):
    assert a.keys() == b.keys()
    for key in a:
        np.testing.assert_array_equal(a[key], b[key], err_msg=key)


@pytest.fixture
def uninterrupted(tmp_path, graph, data):
    rec = Losses()
    trainer = Trainer(Project(graph=graph(), settings=SETTINGS), callbacks=rec, data=data(),
                      run_dir=tmp_path / "whole")
    result = trainer.run()
    assert result.status == "finished"
    return rec.losses, state(trainer.model), result


def test_one_epoch_then_resume_equals_two_epochs_in_one_go(tmp_path, uninterrupted, graph, data):
    losses, weights, whole = uninterrupted
    first = Losses()
    part = Trainer(Project(graph=graph(), settings=SETTINGS), callbacks=first, data=data(),
                   run_dir=tmp_path / "part")
    assert part.run(epochs=1).epochs_done == 1
    assert (tmp_path / "part" / ckpt.CHECKPOINT_NAME).is_file()
    engine.manual_seed(999)  # whatever happens in between must not matter
    np.random.seed(5)
    second = Losses()
    resumed = Trainer(Project(graph=graph(), settings=SETTINGS), callbacks=second, data=data(),
                      resume_from=tmp_path / "part")
    result = resumed.run()
    assert (result.status, result.epochs_done, result.run_dir) == ("finished", 2, tmp_path / "part")
    assert first.losses + second.losses == losses
    assert_same(state(resumed.model), weights)
    assert [(h.train_loss, h.val_loss, h.metrics, h.lr) for h in result.history] == \
        [(h.train_loss, h.val_loss, h.metrics, h.lr) for h in whole.history]


def test_stop_mid_epoch_saves_a_checkpoint_and_resuming_continues_exactly(tmp_path, uninterrupted, graph,
                                                                          data):
    losses, weights, whole = uninterrupted
    first = Losses(stop_at=5)  # 160 training samples / 16: 10 batches per epoch
    stopped = Trainer(Project(graph=graph(), settings=SETTINGS), callbacks=first, data=data(),
                      run_dir=tmp_path / "run")
    first.trainer = stopped
    result = stopped.run()
    assert (result.status, result.steps_done, result.epochs_done) == ("stopped", 5, 0)
    saved = ckpt.load_checkpoint(tmp_path / "run")
    assert (saved["epoch"], saved["batch"], saved["step"]) == (0, 5, 5)
    second = Losses()
    resumed = Trainer(Project(graph=graph(), settings=SETTINGS), callbacks=second, data=data(),
                      resume_from=tmp_path / "run")
    final = resumed.run()
    assert final.status == "finished"
    assert first.losses + second.losses == losses
    assert_same(state(resumed.model), weights)
    assert [h.train_loss for h in final.history] == [h.train_loss for h in whole.history]
    rows = (tmp_path / "run" / "metrics.csv").read_text().splitlines()
    assert len(rows) == 3  # header + 2 epochs, no duplicates


def test_a_crashed_run_resumes_from_its_last_checkpoint(tmp_path, uninterrupted, graph, data):
    losses, weights, _ = uninterrupted
    broken = data()

    class FailsInEpoch2:
        def __init__(self, inner):
            self.inner, self.calls = inner, 0

        def __len__(self):
            return len(self.inner)

        def __getitem__(self, index):
            self.calls += 1
            if self.calls > len(self.inner):
                raise RuntimeError("disk went away")
            return self.inner[index]

    broken.train = FailsInEpoch2(broken.train)
    result = Trainer(Project(graph=graph(), settings=SETTINGS), data=broken, run_dir=tmp_path / "run").run()
    assert result.status == "failed" and "disk went away" in result.message
    assert result.epochs_done == 1
    rec = Losses()
    resumed = Trainer(Project(graph=graph(), settings=SETTINGS), callbacks=rec, data=data(),
                      resume_from=tmp_path / "run")
    assert resumed.run().status == "finished"
    assert rec.losses == losses[len(losses) // 2:]
    assert_same(state(resumed.model), weights)


def test_a_finished_run_continues_for_more_epochs(tmp_path, graph, data):
    project = Project(graph=graph(), settings={**SETTINGS, "epochs": 1})
    Trainer(project, data=data(), run_dir=tmp_path / "run").run()
    more = Trainer(project, data=data(), resume_from=tmp_path / "run").run(epochs=3)
    assert (more.status, more.epochs_done, [h.epoch for h in more.history]) == ("finished", 3, [1, 2, 3])


def test_resuming_with_another_graph_fails_with_a_clear_message(tmp_path, graph, data):
    Trainer(Project(graph=graph(), settings={**SETTINGS, "epochs": 1}), data=data(),
            run_dir=tmp_path / "run").run()
    other = graph()
    other.set_param("fc1", "out_features", 8)
    other.set_param("fc2", "in_features", 8)
    result = Trainer(Project(graph=other, settings=SETTINGS), data=data(), resume_from=tmp_path / "run").run()
    assert result.status == "failed" and "does not fit this graph" in result.message


def test_saving_is_atomic_and_a_failed_save_keeps_the_old_checkpoint(tmp_path):
    path = tmp_path / "c.safetensors"
    ckpt.save_checkpoint(path, {"step": 1, "w": engine.ones(3)})
    with pytest.raises(TypeError):
        ckpt.save_checkpoint(path, {"step": 2, "bad": object()})
    loaded = ckpt.load_checkpoint(path)
    assert loaded["step"] == 1 and loaded["w"].tolist() == [1.0, 1.0, 1.0]
    assert [p.name for p in tmp_path.iterdir()] == ["c.safetensors"]  # no temp files left


def test_loading_something_else_raises_a_checkpoint_error(tmp_path):
    with pytest.raises(ckpt.CheckpointError, match="no checkpoint"):
        ckpt.load_checkpoint(tmp_path)
    (tmp_path / ckpt.CHECKPOINT_NAME).write_bytes(b"not a checkpoint")
    with pytest.raises(ckpt.CheckpointError, match="cannot read"):
        ckpt.load_checkpoint(tmp_path)
    engine.save({"weights": engine.ones(2)}, tmp_path / ckpt.CHECKPOINT_NAME)
    with pytest.raises(ckpt.CheckpointError, match="not a Model Studio checkpoint"):
        ckpt.load_checkpoint(tmp_path)


def test_every_random_stream_round_trips(tmp_path):
    ckpt.seed_everything(11)
    engine.rand(3), np.random.rand(2), random.random()
    ckpt.save_checkpoint(tmp_path / "c", {"rng": ckpt.rng_state()})
    expected = (engine.rand(4).tolist(), np.random.rand(4).tolist(), [random.random() for _ in range(4)])
    ckpt.seed_everything(12)
    ckpt.set_rng_state(ckpt.load_checkpoint(tmp_path / "c")["rng"])
    again = (engine.rand(4).tolist(), np.random.rand(4).tolist(), [random.random() for _ in range(4)])
    assert again == expected


def test_snapshots_copy_and_restore_weights():
    model = engine.nn.Linear(3, 2)
    saved = ckpt.snapshot(model)
    with engine.no_grad():
        model.weight.fill_(float("nan"))
    assert not ckpt.all_finite(model)
    ckpt.restore(model, saved)
    assert ckpt.all_finite(model)
    assert saved["weight"] is not model.weight  # a copy, not the live tensor
