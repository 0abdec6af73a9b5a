"""Live memory use of a run: the process's resident memory, and on CUDA the engine's memory pool."""

import mmap
import sys

import pytest

import engine
import engine.cuda
from studio.training.memory import MemoryUse, format_bytes, memory_use, process_memory

MIB = 1024 ** 2
HAS_GPU = engine.cuda.is_available()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the current RSS is read from /proc")
def test_the_process_memory_grows_with_a_large_array_and_shrinks_when_it_is_freed():
    before, is_peak = process_memory()
    assert not is_peak and before > 10 * MIB
    # an anonymous mapping, not a numpy array: the engine keeps freed heap memory for reuse (its allocator
    # settings), so a freed array would not shrink the process
    block = mmap.mmap(-1, 64 * MIB)
    block.write(b"\x01" * (64 * MIB))  # every page touched
    during, _ = process_memory()
    block.close()
    after, _ = process_memory()
    assert during - before >= 60 * MIB
    assert during - after >= 60 * MIB  # the current value, not a peak


def test_a_cpu_run_reports_the_process_only():
    use = memory_use("cpu")
    assert use.device == "cpu" and use.pool_used is None and use.device_total is None
    text = use.describe()
    assert text.startswith("process") and format_bytes(use.process_bytes) in text


def test_a_cuda_run_reads_the_pool_and_the_device_through_engine_cuda(monkeypatch):
    asked = []
    monkeypatch.setattr(engine.cuda, "is_available", lambda: True)
    monkeypatch.setattr(engine.cuda, "current_device", lambda: 1)
    gib = 1024 ** 3
    monkeypatch.setattr(engine.cuda, "mem_get_info", lambda i: asked.append(i) or (30 * gib, 80 * gib))
    monkeypatch.setattr(engine.cuda, "memory_allocated", lambda i=None: 3 * MIB // 2)
    monkeypatch.setattr(engine.cuda, "memory_reserved", lambda i=None: 4 * MIB)
    use = memory_use("cuda")  # "auto" resolves to the current device
    assert (use.device, asked) == ("cuda:1", [1])
    assert (use.pool_used, use.pool_held) == (3 * MIB // 2, 4 * MIB)
    assert (use.device_used, use.device_total) == (50 * gib, 80 * gib)
    assert use.describe().startswith("pool 1.50 MiB used of 4.00 MiB held · device 50.00 GiB of 80.00 GiB")
    assert memory_use("cuda:0").device == "cuda:0" and asked[-1] == 0


def test_descriptions_name_a_peak_and_a_system_that_cannot_say():
    assert MemoryUse("cpu", 3 * 1024 ** 3, process_is_peak=True).describe() == "process peak 3.00 GiB"
    assert "cannot be read" in MemoryUse("cpu", None).describe()
    assert [format_bytes(n) for n in (512, 2048, 5 * MIB)] == ["512 B", "2.00 KiB", "5.00 MiB"]


@pytest.mark.gpu
@pytest.mark.skipif(not HAS_GPU, reason="needs cupy and a CUDA device")
def test_a_tensor_on_the_gpu_shows_in_the_pool():
    before = memory_use("cuda:0")
    block = engine.ones(16 * MIB, device="cuda:0")  # 64 MiB of float32
    during = memory_use("cuda:0")
    assert during.pool_used - before.pool_used >= 64 * MIB
    assert during.pool_held >= during.pool_used and during.device_used >= during.pool_held
    del block
