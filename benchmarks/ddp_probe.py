"""Does data-parallel training pay on this machine? The autoregressive network's epochs on Adult,
one process against torch DistributedDataParallel (gloo, 127.0.0.1) over several processes.

Usage::

    python benchmarks/ddp_probe.py --data ../shared/datasets/adult_train.csv --epochs 5

Tokenizes the table as ``AutoregressiveNetwork`` does and trains its network (``ColumnMADE``)
for ``--epochs`` epochs of the same global batch, in three ways:

* one process with 1 torch thread, and with as many threads as cores (what a fit does);
* ``P`` processes of 1 thread each under DistributedDataParallel, each taking ``1/P`` of every
  global batch (gradients averaged by all-reduce, so every step is the one-process step).

Prints seconds per epoch and the ratio against the one-process run with all cores, and the
last epoch's training loss of each (they should agree: the same steps on the same data).
"""

from __future__ import annotations

import argparse
import os
import socket
import time

import numpy as np
import pandas as pd
import torch
import torch.distributed as dist
import torch.multiprocessing as mp

from simulacra.models.autoregressive.model import AutoregressiveNetwork
from simulacra.models.autoregressive.network import ColumnMADE


def tokens_of(path: str) -> tuple[np.ndarray, list[int], int, int, object]:
    """The table's tokens and the network's settings, as a one-epoch fit makes them."""
    frame = pd.read_csv(path)
    captured = {}
    original = AutoregressiveNetwork._fit_network

    def spy(self, encoded, columns, rng, device, started):
        captured["encoded"] = encoded
        return original(self, encoded, columns, rng, device, started)

    AutoregressiveNetwork._fit_network = spy
    try:
        model = AutoregressiveNetwork(random_state=0, epochs=1).fit(frame)
    finally:
        AutoregressiveNetwork._fit_network = original
    tokens = model.tokenizer_.transform(captured["encoded"])
    positions = model.tokenizer_.positions() if model.ordinal_ else None
    return (tokens, list(model.tokenizer_.sizes_), int(model.embedding_dim),
            int(model.hidden_dim), positions)


class NLL(torch.nn.Module):
    """The network's per-row, per-column negative log-likelihood as its forward pass (so that
    DistributedDataParallel's forward sees it)."""

    def __init__(self, made: ColumnMADE) -> None:
        super().__init__()
        self.made = made

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        return self.made.nll(tokens)


def train(rank: int, world: int, port: int, tokens: np.ndarray, sizes: list[int], emb: int,
          hidden: int, positions: object, batch: int, epochs: int, threads: int,
          out: dict) -> None:
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    net = NLL(ColumnMADE(sizes, emb, hidden, positions))
    if world > 1:
        os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
        dist.init_process_group("gloo", rank=rank, world_size=world)
        net = torch.nn.parallel.DistributedDataParallel(net)
    opt = torch.optim.Adam(net.parameters(), lr=2e-3)
    data = torch.from_numpy(tokens)
    gen = torch.Generator().manual_seed(0)
    times, loss_value = [], 0.0
    for _ in range(epochs):
        order = torch.randperm(len(data), generator=gen)
        t0 = time.perf_counter()
        total = 0.0
        for start in range(0, len(data), batch):
            idx = order[start:start + batch]
            mine = idx[rank::world]
            x = data[mine]
            loss = net(x).sum(1).sum() / len(idx)
            if world > 1:  # DDP's hooks average over ranks: scale so the sum is the batch's
                loss = loss * world
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            total += float(loss.detach()) * len(idx)  # rank 0: its shard, scaled up
        times.append(time.perf_counter() - t0)
        loss_value = total / len(data)
    if rank == 0:
        out["seconds"] = float(np.median(times))
        out["loss"] = loss_value
    if world > 1:
        dist.destroy_process_group()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--batch", type=int, default=2048)
    parser.add_argument("--processes", type=int, nargs="+", default=[2])
    args = parser.parse_args()
    tokens, sizes, emb, hidden, positions = tokens_of(args.data)
    cores = len(os.sched_getaffinity(0))
    print(f"{len(tokens):,} rows, {len(sizes)} columns, {sum(sizes)} tokens; batch "
          f"{args.batch}; {cores} cores")
    results = {}
    for threads in sorted({1, cores}):
        out: dict = {}
        train(0, 1, 0, tokens, sizes, emb, hidden, positions, args.batch, args.epochs, threads,
              out)
        results[f"1 process, {threads} thread(s)"] = out
    for world in args.processes:
        with mp.Manager() as manager:
            out = manager.dict()
            mp.spawn(train, args=(world, free_port(), tokens, sizes, emb, hidden, positions,
                                  args.batch, args.epochs, 1, out), nprocs=world, join=True)
            results[f"DDP, {world} processes of 1 thread"] = dict(out)
    anchor = results[f"1 process, {cores} thread(s)"]["seconds"]
    for name, out in results.items():
        print(f"{name}: {out['seconds']:.2f} s/epoch ({anchor / out['seconds']:.2f}x the "
              f"1-process run on {cores} threads), last loss {out['loss']:.4f}")


if __name__ == "__main__":
    main()
