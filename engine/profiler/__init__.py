"""engine.profiler: time engine ops, module calls, backward nodes and user ranges (torch.profiler's API).

While a profile records, engine functions, Tensor methods, Module.__call__ and the autograd nodes are
wrapped to record ranges named like torch's ("aten::mul", "Linear", "autograd::engine::evaluate_function:
MulBackward0"); outside profiling nothing is wrapped.
"""

from __future__ import annotations

import enum
import functools
import os
import socket
import time
from collections.abc import Callable, Iterable
from typing import Any

from . import _recorder
from ._events import EventList, FunctionEvent, FunctionEventAvg

__all__ = ["profile", "record_function", "schedule", "ProfilerAction", "ProfilerActivity",
           "tensorboard_trace_handler", "supported_activities", "EventList", "FunctionEvent",
           "FunctionEventAvg"]


class ProfilerActivity(enum.Enum):
    CPU = 0
    CUDA = 2
    XPU = 1
    MTIA = 3
    PrivateUse1 = 4


class ProfilerAction(enum.Enum):
    NONE = 0
    WARMUP = 1
    RECORD = 2
    RECORD_AND_SAVE = 3
    DEVICE_STOPPED = 4


def supported_activities() -> set:
    from .. import cuda

    return {ProfilerActivity.CPU, ProfilerActivity.CUDA} if cuda.is_available() else {ProfilerActivity.CPU}


def schedule(*, wait: int, warmup: int, active: int, repeat: int = 0, skip_first: int = 0,
             skip_first_wait: int = 0) -> Callable[[int], ProfilerAction]:
    """skip_first steps, then cycles of `wait` idle, `warmup` and `active` steps (0 repeats: forever)."""
    if wait < 0 or warmup < 0 or active <= 0 or repeat < 0 or skip_first < 0:
        raise AssertionError("Invalid profiler schedule arguments")
    if warmup == 0:
        import warnings

        warnings.warn("Profiler won't be using warmup, this can skew profiler results", UserWarning,
                      stacklevel=2)

    def schedule_fn(step: int) -> ProfilerAction:
        if step < 0:
            raise AssertionError(f"Step must be non-negative. Got {step}.")
        if step < skip_first:
            return ProfilerAction.NONE
        step -= skip_first
        cycle = wait + warmup + active
        if repeat > 0 and step // cycle >= repeat:
            return ProfilerAction.NONE
        position = step % cycle
        if position < wait:
            return ProfilerAction.NONE
        if position < wait + warmup:
            return ProfilerAction.WARMUP
        return ProfilerAction.RECORD if position < cycle - 1 else ProfilerAction.RECORD_AND_SAVE

    return schedule_fn


def _always_record(step: int) -> ProfilerAction:
    return ProfilerAction.RECORD


_RECORDING = (ProfilerAction.RECORD, ProfilerAction.RECORD_AND_SAVE)


class profile:  # noqa: N801 - mirrors torch.profiler.profile
    """Context manager that records engine activity; read it with key_averages() or export_chrome_trace()."""

    def __init__(self, *, activities: Iterable[ProfilerActivity] | None = None,
                 schedule: Callable[[int], ProfilerAction] | None = None,
                 on_trace_ready: Callable[[profile], Any] | None = None, record_shapes: bool = False,
                 profile_memory: bool = False, with_stack: bool = False, with_flops: bool = False,
                 with_modules: bool = False, experimental_config: Any = None,
                 execution_trace_observer: Any = None, acc_events: bool = False, use_cuda: bool | None = None,
                 custom_trace_id_callback: Any = None) -> None:
        self.activities = set(activities) if activities is not None else supported_activities()
        self.schedule = schedule or _always_record
        self.record_steps = schedule is not None
        self.on_trace_ready = on_trace_ready
        self.record_shapes = record_shapes
        self.profile_memory = profile_memory
        self.with_stack = with_stack
        self.with_flops = with_flops
        self.with_modules = with_modules
        self.acc_events = acc_events
        self.step_num = 0
        self.current_action = ProfilerAction.NONE
        self._raw: list = []  # ranges of the cycle being recorded (appended by _recorder)
        self._finished: EventList | None = None
        self._origin_ns = 0
        self._step_range = None
        self._sink_on = False

    # -- lifecycle ----------------------------------------------------------------------------------
    def __enter__(self) -> profile:
        self.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def start(self) -> None:
        self.step_num = 0
        self.current_action = self.schedule(0)
        if self.current_action in _RECORDING:
            self._begin_cycle()

    def stop(self) -> None:
        if self.current_action in _RECORDING:
            self._end_cycle(save=True)
        self.current_action = ProfilerAction.NONE

    def step(self) -> None:
        """Mark the end of a training step: advance the schedule (and call on_trace_ready after a cycle)."""
        previous = self.current_action
        self.step_num += 1
        self.current_action = self.schedule(self.step_num)
        if previous in _RECORDING:
            done = previous == ProfilerAction.RECORD_AND_SAVE or self.current_action not in _RECORDING
            if done:
                self._end_cycle(save=True)
            else:
                self._close_step()
                self._open_step()
        if self.current_action in _RECORDING and not self._sink_on:
            self._begin_cycle()

    def _begin_cycle(self) -> None:
        self._raw = []
        self._origin_ns = time.perf_counter_ns()
        _recorder.add_sink(self)
        self._sink_on = True
        self._open_step()

    def _end_cycle(self, save: bool) -> None:
        self._close_step()
        _recorder.remove_sink(self)
        self._sink_on = False
        self._finished = _build_events(self._raw, self._origin_ns, self.profile_memory)
        self._raw = []
        if save and self.on_trace_ready is not None:
            self.on_trace_ready(self)

    def _open_step(self) -> None:
        if self.record_steps:
            self._step_range = _recorder.open_range(f"ProfilerStep#{self.step_num}", "user_annotation")

    def _close_step(self) -> None:
        if self._step_range is not None:
            _recorder.close_range(self._step_range)
            self._step_range = None

    # -- results ------------------------------------------------------------------------------------
    def _results(self) -> EventList:
        if self._finished is None:
            if self._sink_on:
                return _build_events(self._raw, self._origin_ns, self.profile_memory)
            return EventList(profile_memory=self.profile_memory)
        return self._finished

    def events(self) -> EventList:
        return self._results()

    def key_averages(self, group_by_input_shape: bool = False, group_by_stack_n: int = 0,
                     group_by_overload_name: bool = False) -> EventList:
        return self._results().key_averages(group_by_input_shape, group_by_stack_n)

    def export_chrome_trace(self, path: str | os.PathLike) -> None:
        self._results().export_chrome_trace(path)

    def export_stacks(self, path: str, metric: str = "self_cpu_time_total") -> None:
        with open(path, "w", encoding="utf-8") as handle:
            for avg in self.key_averages():
                handle.write(f"{avg.key} {int(getattr(avg, metric))}\n")

    def table(self, *args: Any, **kwargs: Any) -> str:
        return self.key_averages().table(*args, **kwargs)


def _build_events(raw: list, origin_ns: int, profile_memory: bool) -> EventList:
    converted: dict[int, FunctionEvent] = {}
    ordered = sorted(raw, key=lambda r: (r.start_ns, -r.end_ns))
    for r in ordered:
        parent = r.parent
        while parent is not None and parent.id not in converted:
            parent = parent.parent  # a parent outside this cycle: attach to the nearest recorded one
        event = FunctionEvent(r, origin_ns, converted[parent.id] if parent is not None else None)
        if event.cpu_parent is not None:
            event.cpu_parent.cpu_children.append(event)
        converted[r.id] = event
    return EventList(converted.values(), profile_memory=profile_memory)


class record_function:  # noqa: N801 - mirrors torch.profiler.record_function
    """A named range: `with record_function("name"):` or `@record_function("name")`."""

    def __init__(self, name: str, args: str | None = None) -> None:
        self.name = name
        self.args = args
        self._event = None

    def __enter__(self) -> record_function:
        self._event = _recorder.open_range(self.name, "user_annotation")
        return self

    def __exit__(self, *exc: Any) -> None:
        event, self._event = self._event, None
        _recorder.close_range(event)

    def __call__(self, fn: Callable) -> Callable:
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with record_function(self.name, self.args):
                return fn(*args, **kwargs)

        return wrapper


def tensorboard_trace_handler(dir_name: str, worker_name: str | None = None,
                              use_gzip: bool = False) -> Callable[[profile], None]:
    """on_trace_ready handler writing one Chrome trace per finished cycle into dir_name."""

    def handler(prof: profile) -> None:
        os.makedirs(dir_name, exist_ok=True)
        worker = worker_name or f"{socket.gethostname()}_{os.getpid()}"
        path = os.path.join(dir_name, f"{worker}.{time.time_ns() // 1_000_000}.pt.trace.json")
        prof.export_chrome_trace(path)
        if use_gzip:
            import gzip
            import shutil

            with open(path, "rb") as src, gzip.open(path + ".gz", "wb") as dst:
                shutil.copyfileobj(src, dst)
            os.remove(path)

    return handler
