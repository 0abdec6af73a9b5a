"""The training loop: a project's graph, settings and dataset in; weights, metrics and a run folder out.

`Trainer(project).run()` blocks until the run ends (a GUI calls it on a worker thread); `pause()`,
`resume()` and `stop()` may be called from any thread. Pausing blocks between batches; stopping finishes
the current batch, saves a checkpoint and returns status "stopped". A non-finite loss ends the run as
"diverged" with the last good weights restored; any exception ends it as "failed" with the message.
`Trainer(project, resume_from=run_folder)` continues a stopped, crashed or finished run from its last
checkpoint; with the same settings the result equals that of one uninterrupted run. The run folder gets
every step's loss and learning rate in steps.csv (see runs.py), written at each epoch's end and the run's end.

Determinism: the seed (settings["seed"], or a random one recorded in the run) seeds engine, numpy and
Python before the model is built; epoch e shuffles with numpy's generator seeded by (seed, e), and the
loaders get their own engine generators, so nothing but the model draws from the global streams.
"""

from __future__ import annotations

import math
import os
import threading
import time
import traceback
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

import engine
from engine.utils.data import DataLoader
from studio.graph.compile import GraphModule, compile_graph
from studio.graph.project import DEFAULT_SETTINGS, Project, validate_settings

from . import checkpoints as ckpt
from .callbacks import BatchInfo, EpochInfo, RunResult, TrainerCallbacks, call
from .capture import Capture
from .losses import training_graph
from .metrics import MetricSet, lower_is_better, make_metrics
from .optim_factory import Schedule, SetupError, current_lr, make_optimizer, make_scheduler
from .runs import RunWriter, new_run_dir, runs_dir

SNAPSHOT_EVERY = 50  # steps between in-memory copies of good weights (the NaN guard's fallback)


@dataclass
class _Progress:
    seed: int
    epoch: int = 0  # epochs completed
    batch: int = 0  # batches done in the unfinished epoch
    step: int = 0  # optimizer steps done
    loss_sum: float = 0.0  # of the unfinished epoch, weighted by batch size
    samples: int = 0
    history: list[EpochInfo] = field(default_factory=list)
    best: float | None = None  # early stopping
    bad_epochs: int = 0


def resolve_device(name: str) -> str:
    if name == "auto":
        return "cuda" if engine.cuda.is_available() else "cpu"
    if name.startswith("cuda") and not engine.cuda.is_available():
        raise SetupError(f"device {name!r} is not available (no GPU, or cupy is not installed); "
                         "choose 'auto' or 'cpu'")
    return name


class Trainer:
    def __init__(self, project: Project, *, callbacks: TrainerCallbacks | Any | None = None,
                 run_dir: str | Path | None = None, resume_from: str | Path | None = None,
                 data: Any | None = None, run_name: str | None = None) -> None:
        """Build the model now (compile errors and bad settings raise here: CompileError, SetupError).

        run_dir: the folder for this run (default: a new one under `<project folder>/runs/` when the
        project has a path, else none is written); resume_from: a run folder to continue (also the run
        folder written to); data: an opened DataSource (default: open_dataset(settings["dataset"])).
        """
        self.project = project
        self.settings = validate_settings(project.settings)
        self.callbacks = callbacks
        self.resume_from = Path(resume_from) if resume_from is not None else None
        self.run_dir = Path(run_dir) if run_dir is not None else self.resume_from
        self.run_name = run_name
        self.data = data
        seed = self.settings["seed"]
        self.seed = int(seed) if seed is not None else int(np.random.SeedSequence().entropy % (1 << 63))
        self.graph = training_graph(project.graph, self.settings["loss"])
        ckpt.seed_everything(self.seed)  # the initial weights follow the seed
        self.model: GraphModule = compile_graph(self.graph, include_loss=True)
        if len(self.model.input_names) != 1 or len(self.model.target_names) != 1:
            raise SetupError(f"training needs exactly one Input and one Target node, this graph has "
                             f"{len(self.model.input_names)} and {len(self.model.target_names)}")
        self.device = "cpu"
        self._go = threading.Event()
        self._go.set()
        self._stop = threading.Event()
        self._started = False
        self.capture: Capture | None = None  # set when the run starts with capture on
        self._capture_lock = threading.Lock()  # watch_nodes() may race the capture's creation
        self._watched: list[str] | None = None

    # ------------------------------------------------------------------------------------ control ---
    def pause(self) -> None:
        self._go.clear()

    def resume(self) -> None:
        self._go.set()

    def stop(self) -> None:
        self._stop.set()
        self._go.set()  # a paused run wakes up to stop

    def watch_nodes(self, node_ids: list[str]) -> None:
        """Capture these nodes' feature maps from the next capture step on (any thread, any time); ids
        the model does not know are ignored, never an error mid-run. Replaces settings["capture"]["nodes"]."""
        with self._capture_lock:
            self._watched = list(node_ids)
            if self.capture is not None:
                self.capture.watch(self._watched)

    @property
    def paused(self) -> bool:
        return not self._go.is_set()

    # ------------------------------------------------------------------------------------ running ---
    def run(self, epochs: int | None = None) -> RunResult:
        """Train until `epochs` epochs are complete in all (default settings["epochs"]); never raises for
        a problem inside the run, which ends with status "failed" and the message instead."""
        if self._started:
            raise RuntimeError("a Trainer runs once; make a new one (or resume_from its run folder)")
        self._started = True
        self._writer: RunWriter | None = None
        self._progress = _Progress(seed=self.seed)
        threads_before = engine.get_num_threads()
        engine.set_num_threads(training_threads(self.settings.get("threads", 0)))
        try:
            result = self._run(epochs if epochs is not None else self.settings["epochs"])
        except Exception as exc:  # the run's report, not a crash of the caller
            p = self._progress
            where = f" in epoch {p.epoch + 1} (after step {p.step})" if p.step else ""
            message = f"training failed{where}: {type(exc).__name__}: {exc}"
            call(self.callbacks, "on_message", traceback.format_exc())
            result = RunResult("failed", message, p.epoch, list(p.history), self._run_path(), p.step)
            if self._writer is not None:
                self._writer.write_status({"traceback": traceback.format_exc()})
        finally:
            engine.set_num_threads(threads_before)
        if self._writer is not None:
            self._writer.finish(result)
        call(self.callbacks, "on_finished", result)  # result.message says how it ended
        return result

    def _run_path(self) -> Path | None:
        return self._writer.path if self._writer is not None else None

    def _run(self, total_epochs: int) -> RunResult:
        settings, model = self.settings, self.model
        data = self._open_data()
        self.device = resolve_device(settings["device"])
        model.to(self.device)
        model.train()
        optimizer = make_optimizer(settings, model.parameters())
        batch_size = settings["batch_size"]
        steps_per_epoch = max(1, math.ceil(len(data.train) / batch_size))
        schedule = make_scheduler(settings, optimizer, epochs=total_epochs, steps_per_epoch=steps_per_epoch)
        task = getattr(data, "task", None)
        train_metrics = make_metrics(settings["metrics"], task)
        val_metrics = make_metrics(settings["metrics"], task)
        if val_metrics.skipped:
            call(self.callbacks, "on_message", f"metrics {', '.join(val_metrics.skipped)} do not apply to "
                                               f"a {task} dataset; left out")
        p = self._progress
        if self.resume_from is not None:
            self._load(ckpt.load_checkpoint(self.resume_from), optimizer, schedule, train_metrics)
        else:
            ckpt.seed_everything(self.seed)
        self._writer = self._open_writer(p)
        if self._writer is not None:
            names = [m.name for m in val_metrics.metrics] + [f"train_{m.name}" for m in train_metrics.metrics]
            self._writer.set_metrics(names, p.history)
        cap = self._capture(data)
        self._good = ckpt.snapshot(model)
        self._good_step = p.step
        status, message = "finished", ""
        call(self.callbacks, "on_message", f"training on {self.device}: {len(data.train)} samples, "
                                           f"{steps_per_epoch} batches per epoch, seed {p.seed}")
        while p.epoch < total_epochs:
            epoch, started = p.epoch + 1, time.perf_counter()
            loader = self._loader(data.train, self._batches(len(data.train), batch_size, epoch)[p.batch:])
            last = time.perf_counter()
            for x, y in loader:
                if not self._go.is_set():
                    self._go.wait()
                    last = time.perf_counter()  # the pause is no part of the batch's speed
                if self._stop.is_set():
                    break
                loss = self._step(x, y, optimizer, schedule, train_metrics, cap)
                if loss is not None:
                    return self._diverged(f"loss became {loss} at epoch {epoch}, step {p.step + 1} "
                                          f"(lr {current_lr(optimizer):g})")
                now = time.perf_counter()
                info = BatchInfo(epoch, p.step, self._last_loss, current_lr(optimizer),
                                 len(y) / max(now - last, 1e-9), p.batch, steps_per_epoch,
                                 train_metrics.values())
                call(self.callbacks, "on_batch", info)
                if self._writer is not None:
                    self._writer.add_step(p.step, epoch, self._last_loss, info.lr)
                last = now
            if self._stop.is_set():
                self._save_checkpoint(optimizer, schedule, train_metrics)
                status, message = "stopped", f"stopped at epoch {epoch}, step {p.step}"
                break
            if settings["nan_guard"] and not ckpt.all_finite(model):
                return self._diverged(f"the weights became non-finite in epoch {epoch} (lr "
                                      f"{current_lr(optimizer):g})")
            info = self._end_epoch(epoch, started, data, optimizer, train_metrics, val_metrics)
            schedule.step_epoch(info.val_loss if info.val_loss is not None else info.train_loss)
            self._good, self._good_step = ckpt.snapshot(model), p.step
            early = self._early_stop(info)
            interval = settings["checkpoint_interval"]
            if interval and (epoch % interval == 0 or early or epoch == total_epochs):
                self._save_checkpoint(optimizer, schedule, train_metrics)
            if early:
                message = early
                break
        else:
            message = f"finished {p.epoch} epochs ({p.step} steps)"
        if self._writer is not None:
            self._writer.write_weights(model.state_dict())
        return RunResult(status, message, p.epoch, list(p.history), self._run_path(), p.step)

    def _step(self, x: Any, y: Any, optimizer: Any, schedule: Schedule, train_metrics: MetricSet,
              cap: Capture | None) -> str | None:
        """One optimizer step; returns "nan"/"inf" instead when the loss is not finite (nothing changed)."""
        model, p = self.model, self._progress
        x, y = x.to(self.device), y.to(self.device)
        capturing = cap is not None and cap.due(p.step + 1)
        if capturing:
            cap.arm()
        try:
            values = model.forward_all(x, y)
        finally:
            if capturing:
                cap.disarm()
        losses = [values[name] for name in model.loss_names]
        loss = losses[0]
        for extra in losses[1:]:
            loss = loss + extra
        value = float(loss.item())
        if not math.isfinite(value) and self.settings["nan_guard"]:
            return "nan" if math.isnan(value) else "inf"
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        grads = cap.grad_norms() if capturing else {}
        optimizer.step()
        schedule.step_batch()
        p.step += 1
        p.batch += 1
        n = len(y)
        p.loss_sum += value * n
        p.samples += n
        self._last_loss = value
        if model.output_names:
            train_metrics.update(values[model.output_names[0]], y)
        if capturing:
            call(self.callbacks, "on_capture", cap.collect(p.step, grads))
        if p.step % SNAPSHOT_EVERY == 0 and ckpt.all_finite(model):
            self._good, self._good_step = ckpt.snapshot(model), p.step
        return None

    def _end_epoch(self, epoch: int, started: float, data: Any, optimizer: Any, train_metrics: MetricSet,
                   val_metrics: MetricSet) -> EpochInfo:
        p = self._progress
        val_loss = self._evaluate(data.val, val_metrics) if len(data.val) else None
        metrics = {**val_metrics.values(), **train_metrics.values("train_")}
        for problem in train_metrics.problems + val_metrics.problems:
            call(self.callbacks, "on_message", problem)
        train_metrics.problems.clear()
        val_metrics.problems.clear()
        info = EpochInfo(epoch, p.loss_sum / max(p.samples, 1), val_loss, metrics, current_lr(optimizer),
                         time.perf_counter() - started, p.step)
        p.history.append(info)
        p.epoch, p.batch, p.loss_sum, p.samples = epoch, 0, 0.0, 0
        train_metrics.reset()
        if self._writer is not None:
            self._writer.append(info)
            self._writer.write_steps()
        call(self.callbacks, "on_epoch", info)
        return info

    def _evaluate(self, dataset: Any, metrics: MetricSet) -> float:
        model, total, count = self.model, 0.0, 0
        metrics.reset()
        model.eval()
        try:
            with engine.no_grad():
                for x, y in self._loader(dataset, _chunks(len(dataset), self.settings["batch_size"])):
                    x, y = x.to(self.device), y.to(self.device)
                    values = model.forward_all(x, y)
                    total += sum(float(values[name].item()) for name in model.loss_names) * len(y)
                    count += len(y)
                    if model.output_names:
                        metrics.update(values[model.output_names[0]], y)
        finally:
            model.train()
        return total / max(count, 1)

    def _early_stop(self, info: EpochInfo) -> str:
        rule, p = self.settings["early_stopping"], self._progress
        if not rule["enabled"]:
            return ""
        key = rule["monitor"]
        value = {"val_loss": info.val_loss, "train_loss": info.train_loss, "loss": info.train_loss}.get(key)
        if value is None:
            value = info.metrics.get(key, info.metrics.get(key.removeprefix("val_")))
        if value is None:
            return ""
        lower = lower_is_better(key)
        delta = rule["min_delta"]
        if p.best is None or (value < p.best - delta if lower else value > p.best + delta):
            p.best, p.bad_epochs = value, 0
            return ""
        p.bad_epochs += 1
        if p.bad_epochs < rule["patience"]:
            return ""
        return f"early stopping: {key} has not improved for {p.bad_epochs} epochs (best {p.best:.4g})"

    def _diverged(self, what: str) -> RunResult:
        p = self._progress
        ckpt.restore(self.model, self._good)
        message = f"{what}; weights restored to the last good state"
        if self._writer is not None:
            self._writer.write_weights(self.model.state_dict())
        return RunResult("diverged", message, p.epoch, list(p.history), self._run_path(), p.step)

    # ------------------------------------------------------------------------------------ helpers ---
    def _open_data(self) -> Any:
        if self.data is None:
            spec = self.settings["dataset"]
            if not spec:
                raise SetupError("no dataset chosen: pick one in the training settings")
            from .datasets import open_dataset

            self.data = open_dataset(spec)
        self._check_data(self.data)
        return self.data

    def _check_data(self, data: Any) -> None:
        for names, attr, what in ((self.model.input_names, "input_shape", "Input"),
                                  (self.model.target_names, "target_shape", "Target")):
            node = self.graph.nodes[names[0]]
            given = getattr(data, attr, None)
            expected = tuple(node.params.get("shape", ()))
            if given is not None and tuple(given) != expected:
                raise SetupError(f"the {what} node '{node.title}' takes samples of shape {expected} but the "
                                 f"dataset gives {tuple(given)}; set its shape to {tuple(given)}")
        if len(data.train) == 0:
            raise SetupError("the training set is empty")

    def _batches(self, n: int, batch_size: int, epoch: int) -> list[list[int]]:
        order = np.random.default_rng([self._progress.seed, epoch]).permutation(n)
        return [order[i:i + batch_size].tolist() for i in range(0, n, batch_size)]

    def _loader(self, dataset: Any, batches: list[list[int]]) -> DataLoader:
        generator = engine.Generator().manual_seed(self._progress.seed)  # keeps the global stream untouched
        return DataLoader(dataset, batch_sampler=batches, num_workers=self.settings["num_workers"],
                          generator=generator)

    def _capture(self, data: Any) -> Capture | None:
        options = {**DEFAULT_SETTINGS["capture"], **self.settings["capture"]}
        if not options["enabled"]:
            return None
        source = data.val if len(data.val) else data.train
        x, y = source[0]
        probe = (x.unsqueeze(0).to(self.device), y.unsqueeze(0).to(self.device))
        with self._capture_lock:
            watched = self._watched
            self.capture = Capture(self.model, every_n_steps=options["every_n_steps"],
                                   nodes=options["nodes"] if watched is None else (), probe=probe,
                                   graph=self.graph)
            if watched is not None:
                self.capture.watch(watched)
        return self.capture

    def _open_writer(self, p: _Progress) -> RunWriter | None:
        folder = self.run_dir
        if folder is None:
            if self.project.path is None:
                return None
            folder = new_run_dir(runs_dir(self.project.path), self.run_name)
        folder.mkdir(parents=True, exist_ok=True)
        writer = RunWriter(folder)
        now = datetime.now().replace(microsecond=0).isoformat()
        if self.resume_from is not None:
            writer.keep_steps_until(p.step)
            writer.write_status({"status": "running", "resumed": now, "device": self.device})
        else:
            writer.start(self.project.to_json(), {**self.settings, "seed_used": p.seed},
                         {"name": folder.name, "started": now, "status": "running", "device": self.device,
                          "seed": p.seed})
        return writer

    def _save_checkpoint(self, optimizer: Any, schedule: Schedule, train_metrics: MetricSet) -> None:
        if self._writer is None:
            return
        p = self._progress
        ckpt.save_checkpoint(self._writer.checkpoint_path, {
            "model": self.model.state_dict(), "optimizer": optimizer.state_dict(),
            "scheduler": schedule.scheduler.state_dict() if schedule.scheduler is not None else None,
            "epoch": p.epoch, "batch": p.batch, "step": p.step, "seed": p.seed, "loss_sum": p.loss_sum,
            "samples": p.samples, "best": p.best, "bad_epochs": p.bad_epochs,
            "train_metrics": [[m.total, m.count] for m in train_metrics.metrics],
            "history": [asdict(info) for info in p.history], "rng": ckpt.rng_state(),
        })

    def _load(self, state: dict[str, Any], optimizer: Any, schedule: Schedule,
              train_metrics: MetricSet) -> None:
        try:
            self.model.load_state_dict(state["model"])
        except (KeyError, RuntimeError, ValueError) as exc:
            raise ckpt.CheckpointError(f"the checkpoint does not fit this graph: {exc}") from None
        optimizer.load_state_dict(state["optimizer"])
        if schedule.scheduler is not None and state.get("scheduler") is not None:
            schedule.scheduler.load_state_dict(state["scheduler"])
        p = self._progress
        p.seed, p.epoch, p.batch, p.step = int(state["seed"]), state["epoch"], state["batch"], state["step"]
        p.loss_sum, p.samples = float(state["loss_sum"]), int(state["samples"])
        p.best, p.bad_epochs = state.get("best"), int(state.get("bad_epochs", 0))
        p.history = [EpochInfo(**info) for info in state["history"]]
        for metric, (total, count) in zip(train_metrics.metrics, state.get("train_metrics", [])):
            metric.total, metric.count = float(total), int(count)
        ckpt.set_rng_state(state["rng"])


def _chunks(n: int, size: int) -> list[list[int]]:
    return [list(range(i, min(i + size, n))) for i in range(0, n, size)]


def training_threads(requested: int = 0) -> int:
    """Compute threads for a run: the requested number, or all cores but one, so the window and the
    OS keep a core: a training step that needs every core waits for the busiest of them, and on a busy
    2-core machine two threads once made steps ~30x slower (13 ms -> 450 ms, measured, when BLAS threads
    still spun); one thread never did."""
    if requested > 0:
        return requested
    return max(1, (os.cpu_count() or 1) - 1)
