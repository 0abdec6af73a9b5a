"""How much memory training uses right now: the process's resident memory (RSS) for any run, and for a run
on a CUDA device the engine's cupy memory pool (bytes in use by tensors, bytes the pool holds) and the
device's own used/total memory, through engine.cuda. Cheap enough to read once a second (no allocation,
one small file read or system call)."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass

import engine

_PAGE_SIZE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


@dataclass(frozen=True)
class MemoryUse:
    device: str  # "cpu" or "cuda:N": where the run trains
    process_bytes: int | None  # the process's resident memory; None where the system does not say
    process_is_peak: bool = False  # True where only the peak resident memory can be read (macOS)
    pool_used: int | None = None  # cupy pool: bytes held by live tensors (CUDA runs only)
    pool_held: int | None = None  # cupy pool: bytes it has taken from the device, used or cached
    device_used: int | None = None  # the whole device's used memory, every process included
    device_total: int | None = None

    def describe(self) -> str:
        """One line for the UI, e.g. "pool 1.20 GiB used of 2.00 GiB held · device 3.10 GiB of 80.00 GiB
        · process 1.05 GiB"."""
        parts = []
        if self.pool_used is not None and self.pool_held is not None:
            parts.append(f"pool {format_bytes(self.pool_used)} used of {format_bytes(self.pool_held)} held")
        if self.device_used is not None and self.device_total is not None:
            parts.append(f"device {format_bytes(self.device_used)} of {format_bytes(self.device_total)}")
        if self.process_bytes is not None:
            what = "process peak" if self.process_is_peak else "process"
            parts.append(f"{what} {format_bytes(self.process_bytes)}")
        return " · ".join(parts) if parts else "memory use cannot be read on this system"


def format_bytes(n: int) -> str:
    for unit, size in (("GiB", 1024 ** 3), ("MiB", 1024 ** 2), ("KiB", 1024)):
        if n >= size:
            return f"{n / size:.2f} {unit}"
    return f"{n} B"


def process_memory() -> tuple[int | None, bool]:
    """(resident bytes of this process, whether that is the peak rather than the current value)."""
    try:
        with open("/proc/self/statm", encoding="ascii") as f:  # Linux: current resident pages
            return int(f.read().split()[1]) * _PAGE_SIZE, False
    except (OSError, IndexError, ValueError):
        pass
    if sys.platform == "win32":
        return _windows_working_set(), False
    try:
        import resource
    except ImportError:
        return None, False
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # bytes on macOS, KiB elsewhere
    return (peak if sys.platform == "darwin" else peak * 1024), True


def _windows_working_set() -> int | None:
    import ctypes
    from ctypes import wintypes

    class Counters(ctypes.Structure):
        _fields_ = [("cb", wintypes.DWORD), ("PageFaultCount", wintypes.DWORD),
                    ("PeakWorkingSetSize", ctypes.c_size_t), ("WorkingSetSize", ctypes.c_size_t),
                    ("QuotaPeakPagedPoolUsage", ctypes.c_size_t), ("QuotaPagedPoolUsage", ctypes.c_size_t),
                    ("QuotaPeakNonPagedPoolUsage", ctypes.c_size_t),
                    ("QuotaNonPagedPoolUsage", ctypes.c_size_t), ("PagefileUsage", ctypes.c_size_t),
                    ("PeakPagefileUsage", ctypes.c_size_t)]

    counters = Counters()
    counters.cb = ctypes.sizeof(Counters)
    process = ctypes.windll.kernel32.GetCurrentProcess()
    if not ctypes.windll.psapi.GetProcessMemoryInfo(process, ctypes.byref(counters), counters.cb):
        return None
    return int(counters.WorkingSetSize)


def memory_use(device: str) -> MemoryUse:
    """The memory a run on `device` ("cpu", "cuda" or "cuda:N") uses now."""
    process, is_peak = process_memory()
    if not device.startswith("cuda") or not engine.cuda.is_available():
        return MemoryUse("cpu" if not device.startswith("cuda") else device, process, is_peak)
    index = int(device.partition(":")[2] or engine.cuda.current_device())
    free, total = engine.cuda.mem_get_info(index)
    return MemoryUse(f"cuda:{index}", process, is_peak, pool_used=engine.cuda.memory_allocated(index),
                     pool_held=engine.cuda.memory_reserved(index), device_used=int(total - free),
                     device_total=int(total))
