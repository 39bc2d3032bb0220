"""Starting the ranks of a run: `ranks` runs N processes through torch's elastic launcher
(what `torchrun --standalone` runs), each `python -m trainer.distributed *argv`; `launch` is
`train --nproc N`, and `failure` the one sentence for a run whose rank failed (the root
cause's: trainer.distributed.fail leaves a rank's sentence in the folder FAILURES names).
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import signal
import sys
import tempfile
import uuid
from pathlib import Path

from trainer.distributed import FAILURES


def rank_argv(args: argparse.Namespace) -> list[str]:
    """The `train` arguments a rank gets: every setting given or from the recipe, and --out."""
    from trainer.config import settings

    argv = ["train"]
    for s in settings():
        value = getattr(args, s.name, None)
        if value is not None:
            text = ",".join(map(str, value)) if isinstance(value, (list, tuple)) else repr(value)
            argv += [s.flag, text if not isinstance(value, str) else value]
    return [*argv, "--out", str(args.out)]


@contextlib.contextmanager
def ranks(nproc: int, argv: list[str], env: dict | None = None):
    """(run, folder): run() starts `python -m trainer.distributed *argv` on nproc ranks through
    torch's elastic launcher (standalone rendezvous on localhost, a free port, no restarts)
    and returns when they all end; ranks leave failure sentences in folder."""
    from torch.distributed.elastic.multiprocessing import DefaultLogsSpecs
    from torch.distributed.launcher.api import LaunchConfig, elastic_launch

    root = str(Path(__file__).resolve().parents[1])  # where the trainer package lies
    seen = [root, *(p for p in sys.path if p and os.path.isdir(p))]  # what this process sees
    seen += os.environ.get("PYTHONPATH", "").split(os.pathsep)
    path = os.pathsep.join(dict.fromkeys(p for p in seen if p))
    with tempfile.TemporaryDirectory(prefix="le-ranks-") as folder, _quiet(), _environ(
        {FAILURES: folder, "PYTHONPATH": path, **(env or {})}
    ):  # fmt: skip
        config = LaunchConfig(
            min_nodes=1, max_nodes=1, nproc_per_node=nproc, run_id=f"le-{uuid.uuid4().hex[:8]}",
            rdzv_backend="c10d", rdzv_endpoint="localhost:0", max_restarts=0,
            monitor_interval=0.1, logs_specs=DefaultLogsSpecs(log_dir=os.path.join(folder, "logs")),
            shutdown_timeout=5,
        )  # fmt: skip
        run = elastic_launch(config, sys.executable)
        yield (lambda: run("-m", "trainer.distributed", *argv)), Path(folder)


def launch(args: argparse.Namespace, nproc: int, stream=None) -> int:
    """Run `train` on nproc ranks (`ranks`); the exit status, and one sentence when a rank
    fails."""
    from torch.distributed.elastic.multiprocessing.api import SignalException
    from torch.distributed.elastic.multiprocessing.errors import ChildFailedError

    stream = stream or sys.stderr
    with ranks(nproc, rank_argv(args)) as (run, folder):
        try:
            run()
        except ChildFailedError as error:
            stream.write(failure(error, folder, nproc, f"nothing was saved to {args.out}") + "\n")
            return _status(error)
        except (KeyboardInterrupt, SignalException):  # Ctrl+C: the launcher stops the ranks
            stream.write(f"Interrupted: nothing was saved to {args.out}.\n")
            return 130
    return 0


def _status(error) -> int:
    codes = {failure.exitcode for failure in error.failures.values()}
    return 2 if 2 in codes else 1


def failure(error, folder: Path, nproc: int, lost: str) -> str:
    """One sentence: a rank that ended without a word (died by itself first), else the first
    sentence left."""
    said = {
        r: folder / f"rank{r}.txt" for r in error.failures if (folder / f"rank{r}.txt").exists()
    }
    silent = [r for r in error.failures if r not in said]
    if silent:
        rank = min(silent, key=lambda r: _cause_order(error.failures[r], r))
        failure = error.failures[rank]
        how = (
            f"was killed by {failure.signal_name()}"
            if failure.exitcode < 0
            else f"exited with status {failure.exitcode}"
        )
        return (
            f"Training failed: rank {rank} of {nproc} {how} before the run finished, so the "
            f"other ranks were stopped and {lost}; train again."
        )
    first = min(said, key=lambda r: said[r].stat().st_mtime_ns)
    return said[first].read_text().strip()


def _cause_order(failure, rank: int) -> tuple:
    """Root cause first: the launcher SIGTERMs the ranks left once one fails, so a rank it
    killed comes after one that died by itself; then the earlier, then the lower rank."""
    return (failure.exitcode == -signal.SIGTERM, failure.timestamp, rank)


@contextlib.contextmanager
def _environ(values: dict[str, str]):
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


@contextlib.contextmanager
def _quiet():
    """The elastic launcher's own log lines stay out of the terminal; our sentence says it."""
    names = [n for n in logging.root.manager.loggerDict if n.startswith("torch.distributed")]
    loggers = [logging.getLogger(n) for n in names]  # torch sets a level on each of them
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels):
            logger.setLevel(level)
