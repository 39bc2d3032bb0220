"""Training on several processes through torch.distributed: a rank's setup, its slice of
each batch, and the reductions the loop needs (trainer/elastic.py starts the ranks).

`elastic.launch` starts N ranks with torch's elastic launcher (what `torchrun --standalone`
runs), each `python -m trainer.distributed train ...`; `torchrun --nproc-per-node N main.py
train` starts the same ranks. A rank finds RANK, WORLD_SIZE and LOCAL_RANK in its environment,
joins the process group (gloo on the CPU, nccl on cuda:LOCAL_RANK), and `Trainer` takes the
`Group` from `current()`: DDP averages the gradients, every rank cuts the same seeded
permutation and trains on `batch[rank::world]` of each global batch, validation sums and
counts are all-reduced, and rank 0 alone prints and saves. A rank that fails writes its one
sentence to the folder the launcher names; the launcher prints the root cause's.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import torch
import torch.distributed as dist

FAILURES = "LATENT_EXPLORER_RANK_FAILURES"  # the folder where ranks leave their failure sentence
DIE = "LATENT_EXPLORER_RANK_DIES"  # tests: "rank:step", that rank exits abruptly at that step
TIMEOUT_S = 300  # a collective that waits longer than this fails (a peer is stuck)


@dataclass
class Group:
    """This process's place in a run of several: what the training loop asks of it."""

    rank: int
    world: int
    local_rank: int
    device: torch.device

    def wrap(self, model: torch.nn.Module) -> torch.nn.Module:
        """DDP around the model (on self.device): the backward pass averages gradients."""
        from torch.nn.parallel import DistributedDataParallel

        ids = [self.device.index] if self.device.type == "cuda" else None
        return DistributedDataParallel(model, device_ids=ids)

    def part(self, batch: torch.Tensor) -> tuple[torch.Tensor, float]:
        """This rank's part of a global batch of indices, and its share: the loss factor that
        makes DDP's mean of the ranks' gradients the global batch's (parts differ by one)."""
        part = batch[self.rank :: self.world]
        return part, len(part) * self.world / len(batch)

    def order_generator(self, gen: torch.Generator, seed: int) -> torch.Generator:
        """A generator for the batch order, the same on every rank; `gen` (the noise) is
        reseeded to differ between ranks."""
        gen.manual_seed(seed + self.rank)
        return torch.Generator(device=gen.device).manual_seed(seed)

    def reduce_terms(self, values: torch.Tensor, share: float, every: float, stop: bool):
        """Each rank's mean terms weighted by its share of the last batch, summed (the global
        batch's means), rank 0's `every` (the steps to the next sync) and whether a rank was
        asked to stop, in one all_reduce."""
        extra = [every if self.rank == 0 else 0.0, float(stop)]
        vec = torch.cat([values.float() * (share / self.world), values.new_tensor(extra)])
        dist.all_reduce(vec)
        return vec[:-2], max(1, int(vec[-2].item())), bool(vec[-1].item() > 0)

    def reduce_sums(self, sums: torch.Tensor) -> torch.Tensor:
        """Sums (and counts) of every rank, added up."""
        sums = sums.to(self.device)
        dist.all_reduce(sums)
        return sums


_group: Group | None = None


def environment() -> tuple[int, int, int] | None:
    """(rank, world size, local rank) when launched as one of several ranks, else None."""
    try:
        world = int(os.environ.get("WORLD_SIZE", "1"))
        if world <= 1:
            return None
        return int(os.environ["RANK"]), world, int(os.environ.get("LOCAL_RANK", "0"))
    except (KeyError, ValueError):
        return None


def processes(nproc: int | None, device: str) -> int:
    """The ranks a run asks for: --nproc when given, else every GPU for cuda-all, else 1."""
    from trainer.devices import ALL_GPUS

    if nproc is not None:
        return nproc
    return max(1, torch.cuda.device_count()) if device == ALL_GPUS else 1


def current() -> Group | None:
    """The group this process joined with `setup`, or None in an ordinary run."""
    return _group


def setup(device_name: str, timeout_s: float = TIMEOUT_S) -> Group:
    """Join the ranks' process group on the device the run asks for; ValueError says why not.
    A rank that dies is caught by the launcher at once; `timeout_s` bounds a stuck one."""
    global _group
    if _group is not None:
        return _group
    rank, world, local = environment() or (0, 1, 0)
    if os.environ.get(FAILURES):
        _die_with_launcher()
    from trainer.devices import resolve_device

    device = resolve_device(device_name)
    if device.type == "cuda":
        if local >= torch.cuda.device_count():
            raise ValueError(
                f"rank {rank} needs GPU {local} but this machine has "
                f"{torch.cuda.device_count()}: start at most that many ranks."
            )
        device = torch.device("cuda", local)
        torch.cuda.set_device(device)
        backend = "nccl"
    elif device.type == "cpu":
        backend = "gloo"
        torch.set_num_threads(_threads())
    else:
        raise ValueError(f"device {device_name} cannot train on several ranks: use cpu or cuda.")
    dist.init_process_group(backend, timeout=timedelta(seconds=timeout_s))
    _group = Group(rank, world, local, device)
    return _group


def _die_with_launcher() -> None:
    """Linux: end this rank when the launcher that started it dies (killed, crashed), so no
    rank is left waiting in a collective for peers that will never come."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes
    import signal

    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    if os.getppid() == 1:  # it died before the line above
        os._exit(1)


def teardown() -> None:
    global _group
    if _group is not None and dist.is_initialized():
        dist.destroy_process_group()
    _group = None


def _threads() -> int:
    """Torch threads of a CPU rank: OMP_NUM_THREADS when set, else one."""
    try:
        return max(1, int(os.environ.get("OMP_NUM_THREADS", "")))
    except ValueError:
        return 1


def fail(message: str) -> bool:
    """Leave a rank's failure sentence for the launcher; False when there is no launcher
    of ours (torchrun), and the rank should print it itself."""
    folder = os.environ.get(FAILURES)
    env = environment()
    if not folder or env is None:
        return False
    path = Path(folder, f"rank{env[0]}.txt")
    with contextlib.suppress(OSError):
        path.write_text(message)
    return True


def maybe_die(step: int) -> None:
    """Tests: end this rank abruptly once it reaches the step DIE names for it."""
    spec, env = os.environ.get(DIE, ""), environment()
    if spec and env is not None:
        rank, at = (int(part) for part in spec.split(":"))
        if rank == env[0] and step >= at:
            os._exit(3)


def _main() -> int:
    """A rank: `python -m trainer.distributed train ...` (what trainer.elastic starts)."""
    from trainer import cli

    if sys.argv[1:] == ["relay"]:  # a run the app started (trainer/relay.py)
        from trainer import relay

        return relay.rank_main()
    parser = argparse.ArgumentParser(prog="latent-explorer")
    sub = parser.add_subparsers(dest="command", required=True)
    cli.add_train_arguments(sub.add_parser("train"))
    args = parser.parse_args()
    try:
        return cli.train(args)
    except cli.UsageError as error:
        text = f"latent-explorer train: {error}"
        if not fail(text) and (environment() or (0,))[0] == 0:
            print(text, file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(_main())
