"""Step history in run folders: every optimizer step's loss and learning rate reach steps.csv, stopped and
resumed runs keep theirs, and damaged or older run folders still list with a clear reason."""

import numpy as np
import pytest

from studio.graph.project import Project
from studio.training.runs import RunError, list_runs, load_run, read_steps, runs_dir
from studio.training.trainer import Trainer

SETTINGS = {"epochs": 2, "batch_size": 16, "seed": 3, "scheduler": "StepLR",
            "scheduler_options": {"step_size": 1, "gamma": 0.5}}


class Recorder:
    """The batches as the callbacks see them; reads steps.csv at each epoch's end; stops at `stop_at`."""

    def __init__(self, stop_at=None):
        self.batches, self.on_disk_at_epoch_end, self.stop_at, self.trainer = [], [], stop_at, None

    def on_batch(self, info):
        self.batches.append((info.step, info.epoch, info.loss, info.lr))
        if info.step == self.stop_at:
            self.trainer.stop()

    def on_epoch(self, info):
        self.on_disk_at_epoch_end.append(len(read_steps(self.trainer.run_folder)))


@pytest.fixture
def train(tiny_classifier, moons):
    """train(folder, stop_at=None, resume=False) -> (the RunResult, its Recorder): 2 epochs of 5 steps."""

    def run(folder, stop_at=None, resume=False):
        rec = Recorder(stop_at)
        project = Project(graph=tiny_classifier(), settings=SETTINGS)
        data = moons(seed=1)  # 80 training samples: 5 batches
        if resume:
            trainer = Trainer(project, callbacks=rec, data=data, resume_from=folder)
        else:
            trainer = Trainer(project, callbacks=rec, data=data, run_dir=folder)
        trainer.run_folder = folder
        rec.trainer = trainer
        return trainer.run(), rec

    return run


def rows(history):
    columns = (history.step, history.epoch, history.loss, history.lr)
    return list(zip(*(column.tolist() for column in columns)))


def test_every_step_is_written_at_each_epoch_end_and_read_back(tmp_path, train):
    result, rec = train(tmp_path / "run")
    assert result.status == "finished"
    history = read_steps(tmp_path / "run")
    assert len(history) == 10 and rows(history) == rec.batches  # exact: floats round-trip through repr
    assert history.step.dtype == np.int64 and history.loss.dtype == np.float64
    assert rec.on_disk_at_epoch_end == [5, 10]  # on disk before the epoch is reported
    assert history.epoch.tolist() == [1] * 5 + [2] * 5
    assert history.lr[0] == pytest.approx(0.001) and history.lr[-1] == pytest.approx(0.0005)  # StepLR halves
    header = (tmp_path / "run" / "steps.csv").read_text().splitlines()[0]
    assert header == "step,epoch,loss,lr"


def test_a_stopped_run_keeps_its_steps_and_resuming_continues_them(tmp_path, train):
    whole, _ = train(tmp_path / "whole")
    stopped, rec = train(tmp_path / "run", stop_at=7)  # mid epoch 2
    assert (stopped.status, stopped.steps_done) == ("stopped", 7)
    kept = read_steps(tmp_path / "run")
    assert kept.step.tolist() == list(range(1, 8)) and rows(kept) == rec.batches
    resumed, _ = train(tmp_path / "run", resume=True)
    assert resumed.status == "finished"
    assert rows(read_steps(tmp_path / "run")) == rows(read_steps(tmp_path / "whole"))


def test_resuming_drops_steps_taken_after_the_checkpoint(tmp_path, train):
    train(tmp_path / "run", stop_at=3)
    steps = tmp_path / "run" / "steps.csv"
    steps.write_text(steps.read_text() + "4,1,9.5,0.001\n")  # a crash after the checkpoint wrote more
    train(tmp_path / "run", resume=True)
    history = read_steps(tmp_path / "run")
    assert history.step.tolist() == list(range(1, 11)) and 9.5 not in history.loss.tolist()


def test_older_runs_without_steps_still_load_and_damaged_steps_name_the_file(tmp_path, train):
    result, _ = train(tmp_path / "run")
    (tmp_path / "run" / "steps.csv").unlink()
    assert len(read_steps(tmp_path / "run")) == 0
    info = load_run(tmp_path / "run")
    assert (info.status, info.error, info.epochs_done) == ("finished", "", 2)
    (tmp_path / "run" / "steps.csv").write_text("step,epoch,loss,lr\n1,1,oops,0.1\n")
    with pytest.raises(RunError, match="steps.csv is damaged"):
        read_steps(tmp_path / "run")
    (tmp_path / "run" / "steps.csv").write_text("when,what\n1,2\n")
    with pytest.raises(RunError, match="no step, epoch, loss, lr column"):
        read_steps(tmp_path / "run")


def test_a_damaged_run_json_lists_as_broken_with_the_reason(tmp_path, train):
    folder = runs_dir(tmp_path) / "20240102-030405"
    train(folder)
    (folder / "run.json").write_text('{"status": "finis')
    [info] = list_runs(tmp_path)
    assert info.status == "broken" and info.error.startswith("run.json is damaged")
    assert info.started == "2024-01-02T03:04:05" and len(info.history) == 2  # the rest still reads
    (folder / "run.json").write_text("[1, 2]")
    assert load_run(folder).error == "run.json does not hold a JSON object"
