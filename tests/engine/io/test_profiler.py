"""engine.profiler: recorded ops and ranges, table, Chrome trace, schedules, zero footprint outside."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

import engine
from engine import nn
from engine.profiler import ProfilerAction, ProfilerActivity, profile, record_function, schedule


class Scale(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.w = nn.Parameter(engine.ones(3))

    def forward(self, x):
        return x * self.w


def _counts(prof) -> dict:
    return {e.key: e.count for e in prof.key_averages()}


def test_ops_and_user_ranges_are_counted() -> None:
    x = engine.randn(4, 4, requires_grad=True)
    y = engine.randn(4, 4)
    with profile(activities=[ProfilerActivity.CPU]) as prof, record_function("my_block"):
        z = (x * y + y) * 2
        engine.add(z, 1).sum().backward()
    counts = _counts(prof)
    block = next(e for e in prof.events() if e.name == "my_block")
    direct = [c.name for c in block.cpu_children]
    assert direct.count("aten::mul") == 2 and direct.count("aten::add") == 2
    assert direct.count("aten::sum") == 1
    assert counts["my_block"] == 1
    assert counts["aten::mul"] == 2 + 2  # MulBackward0 multiplies in its formula too (as in torch)
    assert counts["autograd::engine::evaluate_function: MulBackward0"] == 2
    assert counts["MulBackward0"] == 2 and counts["torch::autograd::AccumulateGrad"] == 1
    assert block.cpu_parent is None and any(c.name == "aten::mul" for c in block.cpu_children)
    assert block.self_cpu_time_total == pytest.approx(
        block.cpu_time_total - sum(c.cpu_time_total for c in block.cpu_children))


def test_module_calls_are_ranges_named_after_the_class() -> None:
    model = Scale()
    with profile() as prof:
        model(engine.randn(2, 3))
    event = next(e for e in prof.events() if e.name == "Scale")
    assert [c.name for c in event.cpu_children] == ["aten::mul"]


def test_table_format_sorting_and_shapes() -> None:
    @record_function("slow")
    def slow():
        time.sleep(0.002)

    with profile(record_shapes=True) as prof:
        engine.mul(engine.ones(2, 3), engine.ones(2, 3))
        slow()
    table = prof.key_averages().table(sort_by="cpu_time_total", row_limit=10)
    lines = table.splitlines()
    assert lines[0].startswith("-") and "Name" in lines[1] and "Self CPU %" in lines[1]
    for column in ("Self CPU", "CPU total %", "CPU total", "CPU time avg", "# of Calls", "Input Shapes"):
        assert column in lines[1]
    assert lines[3].split()[0] == "slow"  # the largest total comes first
    assert lines[-1].startswith("Self CPU time total: ")
    assert "[[2, 3], [2, 3]]" in table
    assert len(prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=1).splitlines()) == 6
    grouped = prof.key_averages(group_by_input_shape=True)
    assert any(e.key == "aten::mul" and e.input_shapes == [[2, 3], [2, 3]] for e in grouped)
    plain = profile()
    with plain:
        engine.ones(2) * 2
    assert "Input Shapes" not in plain.key_averages().table()


def test_chrome_trace_is_valid_json(tmp_path: Path) -> None:
    with profile() as prof, record_function("outer"):
        engine.ones(3) + 1
    path = tmp_path / "trace.json"
    prof.export_chrome_trace(str(path))
    data = json.loads(path.read_text())
    events = data["traceEvents"]
    assert {e["name"] for e in events} >= {"outer", "aten::add"}
    for e in events:
        assert e["ph"] == "X" and {"ts", "dur", "pid", "tid", "args", "name"} <= set(e)
        assert e["dur"] >= 0


def test_schedule_records_only_active_steps(tmp_path: Path) -> None:
    fn = schedule(wait=1, warmup=1, active=2, repeat=1, skip_first=1)
    actions = [fn(i) for i in range(7)]
    assert actions == [ProfilerAction.NONE, ProfilerAction.NONE, ProfilerAction.WARMUP, ProfilerAction.RECORD,
                       ProfilerAction.RECORD_AND_SAVE, ProfilerAction.NONE, ProfilerAction.NONE]
    ready = []
    with profile(schedule=schedule(wait=1, warmup=1, active=2), on_trace_ready=ready.append) as prof:
        for step in range(8):
            for _ in range(step + 1):  # step k runs k+1 multiplications
                engine.ones(2) * 2
            prof.step()
    assert len(ready) == 2 and all(r is prof for r in ready)
    counts = _counts(prof)  # the last cycle: steps 6 and 7
    assert counts["aten::mul"] == 7 + 8
    assert counts["ProfilerStep#6"] == 1 and counts["ProfilerStep#7"] == 1
    handler_dir = tmp_path / "tb"
    with profile(schedule=schedule(wait=0, warmup=1, active=1), on_trace_ready=engine.profiler
                 .tensorboard_trace_handler(str(handler_dir))) as prof:
        for _ in range(2):
            engine.ones(1) + 1
            prof.step()
    files = list(handler_dir.glob("*.pt.trace.json"))
    assert len(files) == 1 and json.loads(files[0].read_text())["traceEvents"]


def test_nothing_stays_wrapped() -> None:
    def snapshot():
        return (dict(vars(engine)), dict(engine.Tensor.__dict__), nn.Module.__dict__["__call__"],
                dict(vars(engine.autograd.graph.AccumulateGrad)))

    before = snapshot()
    with profile():
        assert engine.add is not before[0]["add"]  # wrapped while recording
        with profile():
            engine.ones(1) * 2
        assert engine.add is not before[0]["add"]  # an inner profile does not unwrap the outer one
    after = snapshot()
    for a, b in zip(before, after):
        if isinstance(a, dict):
            assert a.keys() == b.keys() and all(a[k] is b[k] for k in a)
        else:
            assert a is b
    with record_function("idle"):  # no profile: a no-op
        pass


def test_memory_columns() -> None:
    with profile(profile_memory=True) as prof:
        engine.zeros(256, dtype=engine.float64) + 1
    row = next(e for e in prof.key_averages() if e.key == "aten::add")
    assert row.cpu_memory_usage == 256 * 8
    assert "CPU Mem" in prof.key_averages().table()
