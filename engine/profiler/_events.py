"""Profiler results: per-call events, per-name averages, the summary table and Chrome traces."""

from __future__ import annotations

import json
import os
from typing import Any

_SORT_ALIASES = (("cuda", "device"), ("xpu", "device"), ("privateuse1", "device"))


def format_time(us: float) -> str:
    if us >= 1e6:
        return f"{us / 1e6:.3f}s"
    if us >= 1e3:
        return f"{us / 1e3:.3f}ms"
    return f"{us:.3f}us"


def format_share(us: float, total: float) -> str:
    if total == 0:
        return "NaN"
    return f"{us * 100.0 / total:.2f}%"


def format_memory(nbytes: int) -> str:
    for unit, size in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if abs(nbytes) >= size:
            return f"{nbytes / size:.2f} {unit}"
    return f"{nbytes} B"


class _Times:
    """Formatted views shared by events and averages (times are in microseconds)."""

    @property
    def cpu_time_total_str(self) -> str:
        return format_time(self.cpu_time_total)

    @property
    def self_cpu_time_total_str(self) -> str:
        return format_time(self.self_cpu_time_total)

    @property
    def cpu_time_str(self) -> str:
        return format_time(self.cpu_time)

    @property
    def cpu_time(self) -> float:
        return self.cpu_time_total / max(self.count, 1)

    device_time_total = self_device_time_total = device_time = 0.0
    cuda_time_total = self_cuda_time_total = cuda_time = 0.0
    device_memory_usage = self_device_memory_usage = 0
    flops = 0
    is_async = False
    is_legacy = False
    use_device = None
    node_id = -1
    stack: list = []
    overload_name = ""


class Interval:
    def __init__(self, start: float, end: float) -> None:
        self.start, self.end = start, end

    def elapsed_us(self) -> float:
        return self.end - self.start


class FunctionEvent(_Times):
    """One call: name, thread, time range (us from the profile's start), children and self time."""

    def __init__(self, raw: Any, origin_ns: int, parent: FunctionEvent | None = None) -> None:
        self.id = raw.id
        self.name = self.key = raw.name
        self.thread = raw.thread
        self.category = raw.category
        self.time_range = Interval((raw.start_ns - origin_ns) / 1e3, (raw.end_ns - origin_ns) / 1e3)
        self.input_shapes = raw.input_shapes if raw.input_shapes is not None else []
        self.cpu_parent = parent
        self.cpu_children: list[FunctionEvent] = []
        self.count = 1
        self.cpu_memory_usage = raw.memory
        self.is_user_annotation = raw.category == "user_annotation"
        self.device_type = "CPU"

    @property
    def cpu_time_total(self) -> float:
        return self.time_range.elapsed_us()

    @property
    def self_cpu_time_total(self) -> float:
        return self.cpu_time_total - sum(c.cpu_time_total for c in self.cpu_children)

    @property
    def self_cpu_memory_usage(self) -> int:
        return self.cpu_memory_usage - sum(c.cpu_memory_usage for c in self.cpu_children)

    def __repr__(self) -> str:
        return (f"<FunctionEvent id={self.id} name={self.name} cpu_time={self.cpu_time_total_str} "
                f"start_us={self.time_range.start:.3f} end_us={self.time_range.end:.3f} "
                f"cpu_children={[c.id for c in self.cpu_children]} input_shapes={self.input_shapes}>")


class FunctionEventAvg(_Times):
    """Events grouped by name (and input shapes when asked): call count and summed times."""

    def __init__(self, key: str, input_shapes: list | None = None) -> None:
        self.key = key
        self.input_shapes = input_shapes
        self.count = 0
        self.cpu_time_total = 0.0
        self.self_cpu_time_total = 0.0
        self.cpu_memory_usage = 0
        self.self_cpu_memory_usage = 0
        self.cpu_parent = None
        self.cpu_children: list = []
        self.is_user_annotation = False

    def add(self, other: Any) -> FunctionEventAvg:
        if self.input_shapes is None:
            self.input_shapes = other.input_shapes
        self.count += other.count
        self.cpu_time_total += other.cpu_time_total
        self.self_cpu_time_total += other.self_cpu_time_total
        self.cpu_memory_usage += other.cpu_memory_usage
        self.self_cpu_memory_usage += other.self_cpu_memory_usage
        self.is_user_annotation = other.is_user_annotation
        return self

    def __iadd__(self, other: Any) -> FunctionEventAvg:
        return self.add(other)

    def __repr__(self) -> str:
        return (f"<FunctionEventAvg key={self.key} self_cpu_time={self.self_cpu_time_total_str} "
                f"cpu_time={self.cpu_time_str} input_shapes={self.input_shapes}>")


class EventList(list):
    """A list of events (or of averages) that can summarise itself as torch's profiler table."""

    def __init__(self, *args: Any, profile_memory: bool = False, **kwargs: Any) -> None:
        super().__init__(*args)
        self._profile_memory = profile_memory

    @property
    def self_cpu_time_total(self) -> float:
        return sum(e.self_cpu_time_total for e in self)

    def key_averages(self, group_by_input_shape: bool = False, group_by_stack_n: int = 0,
                     group_by_overload_name: bool = False) -> EventList:
        groups: dict = {}
        for event in self:
            key = (event.key, str(event.input_shapes)) if group_by_input_shape else event.key
            if key not in groups:
                shapes = event.input_shapes if group_by_input_shape else None
                groups[key] = FunctionEventAvg(event.key, shapes)
            groups[key].add(event)
        return EventList(groups.values(), profile_memory=self._profile_memory)

    def total_average(self) -> FunctionEventAvg:
        total = FunctionEventAvg("Total")
        for event in self:
            total.add(event)
        total.key = "Total"
        return total

    def table(self, sort_by: str | None = None, row_limit: int = 100, max_src_column_width: int = 75,
              max_name_column_width: int = 55, max_shapes_column_width: int = 80, header: str | None = None,
              top_level_events_only: bool = False, time_unit: str | None = None) -> str:
        return build_table(self, sort_by, row_limit, max_name_column_width, max_shapes_column_width, header,
                           top_level_events_only, self._profile_memory, time_unit)

    def __str__(self) -> str:
        return self.table()

    def export_chrome_trace(self, path: str | os.PathLike) -> None:
        write_chrome_trace(self, path)


def _sorted(events: list, sort_by: str | None) -> list:
    if sort_by is None:
        return list(events)
    for old, new in _SORT_ALIASES:
        sort_by = sort_by.replace(old, new)
    return sorted(events, key=lambda e: getattr(e, sort_by), reverse=True)


def _time(us: float, unit: str | None) -> str:
    if unit == "s":
        return f"{us / 1e6:.3f}s"
    if unit == "ms":
        return f"{us / 1e3:.3f}ms"
    if unit == "us":
        return f"{us:.3f}us"
    return format_time(us)


def build_table(events: list, sort_by: str | None, row_limit: int, max_name: int, max_shapes: int,
                header: str | None, top_level_only: bool, profile_memory: bool, time_unit: str | None) -> str:
    if not events:
        return ""
    events = _sorted(events, sort_by)
    with_shapes = any(e.input_shapes for e in events)
    name_width = min(max(len(e.key) for e in events) + 4, max_name)
    shapes_width = min(max(len(str(e.input_shapes)) for e in events) + 4, max_shapes)
    headers = ["Name", "Self CPU %", "Self CPU", "CPU total %", "CPU total", "CPU time avg"]
    if profile_memory:
        headers += ["CPU Mem", "Self CPU Mem"]
    headers.append("# of Calls")
    widths = [name_width] + [12] * (len(headers) - 1)
    if with_shapes:
        headers.append("Input Shapes")
        widths.append(shapes_width)
    row_format = "".join("{:>" + str(w) + "}  " for w in widths)
    separator = "".join("-" * w + "  " for w in widths)
    total = sum(e.self_cpu_time_total for e in events)
    lines = []
    line_length = sum(w + 2 for w in widths) - 2
    if header is not None:
        lines += ["=" * line_length, header]
    if top_level_only:
        lines += ["=" * line_length, "This report only display top-level ops statistics"]
    lines += [separator, row_format.format(*headers), separator]
    shown = 0
    for e in events:
        if shown == row_limit:
            break
        if top_level_only and e.cpu_parent is not None:
            continue
        shown += 1
        name = e.key if len(e.key) < max_name - 3 else e.key[:max_name - 3] + "..."
        row = [name, format_share(e.self_cpu_time_total, total), _time(e.self_cpu_time_total, time_unit),
               format_share(e.cpu_time_total, total), _time(e.cpu_time_total, time_unit),
               _time(e.cpu_time, time_unit)]
        if profile_memory:
            row += [format_memory(e.cpu_memory_usage), format_memory(e.self_cpu_memory_usage)]
        row.append(e.count)
        if with_shapes:
            row.append(str(e.input_shapes)[:shapes_width])
        lines.append(row_format.format(*row))
    lines += [separator, f"Self CPU time total: {_time(total, time_unit)}"]
    return "\n".join(lines) + "\n"


def write_chrome_trace(events: list, path: str | os.PathLike) -> None:
    pid = os.getpid()
    trace = []
    for e in events:
        if not isinstance(e, FunctionEvent):
            continue
        args: dict = {"External id": e.id}
        if e.input_shapes:
            args["Input Dims"] = e.input_shapes
        if e.cpu_memory_usage:
            args["Memory"] = e.cpu_memory_usage
        trace.append({"ph": "X", "cat": e.category, "name": e.name, "pid": pid, "tid": e.thread,
                      "ts": round(e.time_range.start, 3), "dur": round(e.cpu_time_total, 3), "args": args})
    document = {"schemaVersion": 1, "displayTimeUnit": "ms", "traceEvents": trace,
                "traceName": os.fspath(path)}
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(document, handle)
