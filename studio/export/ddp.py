"""The pieces that turn the PyTorch script into a DistributedDataParallel one (target "torch-ddp").

torchrun starts one process per device and describes the group in the environment (RANK, WORLD_SIZE,
LOCAL_RANK, MASTER_ADDR/PORT); each process joins with NCCL on CUDA or gloo on CPU, reads its shard of the
data through a DistributedSampler (re-shuffled each epoch by set_epoch), and the losses and accuracies are
summed over the processes. Only rank 0 prints and saves.
"""

from __future__ import annotations

LAUNCH = "torchrun --nproc_per_node=2 <this file> --epochs 10  (2 = processes: GPUs, or CPU workers)"

IMPORTS = """import os
from pathlib import Path

import numpy as np
import torch
import torch.distributed as dist
from safetensors.numpy import load_file, save_file
from torch import nn
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader, TensorDataset
from torch.utils.data.distributed import DistributedSampler
"""

SETUP = '''\
def setup(device):
    """Join the process group torchrun describes; returns this process's device."""
    device = pick_device(device)
    if device.startswith("cuda"):
        local_rank = int(os.environ.get("LOCAL_RANK", "0"))
        torch.cuda.set_device(local_rank)
        dist.init_process_group("nccl")
        return f"cuda:{local_rank}"
    dist.init_process_group("gloo")
    return "cpu"
'''

LOADER = '''\
def make_loader(x, y, shuffle):
    """Each process reads its own shard of the data."""
    dataset = TensorDataset(torch.from_numpy(x), torch.from_numpy(y))
    sampler = DistributedSampler(dataset, shuffle=shuffle, seed=0 if SEED is None else SEED)
    return DataLoader(dataset, batch_size=BATCH_SIZE, sampler=sampler)
'''

# after the batch loop of run_epoch: the totals of all processes
REDUCE = '''\
    totals = torch.tensor([total_loss, seen, correct, counted], dtype=torch.float64, device=device)
    dist.all_reduce(totals)
    total_loss, seen, correct, counted = totals.tolist()
'''


def train_pieces(find_unused: bool) -> dict[str, str]:
    """The DDP lines of train(): process group, wrapping, per-epoch shuffling, rank-0 output."""
    wrap = ("    device_ids = [torch.device(device).index] if device.startswith(\"cuda\") else None\n"
            "    model = DistributedDataParallel(model, device_ids=device_ids"
            f"{', find_unused_parameters=True' if find_unused else ''})\n"
            "    rank = dist.get_rank()\n")
    return {
        "setup": "    device = setup(device)\n",
        "wrap": wrap,
        "set_epoch": "        train_loader.sampler.set_epoch(epoch)\n",
        "print_guard": "        if rank == 0:\n    ",
        "save": "    if out and rank == 0:\n        save_weights(model.module, out)\n"
                "        print(f\"saved {out}\")\n",
        # every process leaves together: one tearing down gloo while another still saves aborted it
        "teardown": "    dist.barrier()\n    dist.destroy_process_group()\n",
        "result": "model.module",
    }
