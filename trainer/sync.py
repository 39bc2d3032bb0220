"""The training loop's sync points (trainer/loop.py's docstring says when they come): the
latest terms read in one device sync, the samples/s average, the nan/inf check with the last
finite weights kept and put back, and the Progress the loop yields.

`SyncPoints` is the base class of `trainer.loop.Trainer` and works on its state: `model`,
`names`, `history`, `step`, `dist`, `train_config`, `best_epoch`, `_stop`, `_stop_asked`, and
`_optimizer` and `_x`, which `Trainer.run()` sets.
"""

from __future__ import annotations

import math
import time

import torch

from trainer.progress import Progress
from trainer.schedules import total_norm

SYNC_S = 0.05  # at most one Progress per this many seconds between epoch ends
WEIGHTS_S = 0.5  # a CPU weight snapshot about this often between epoch ends
SMOOTHING = 0.3  # weight of the newest rate in the samples/s moving average


def _cpu_copy(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    return {k: v.detach().to("cpu", copy=True) for k, v in state.items()}


class SyncPoints:
    """What `Trainer.run()` does at a sync point, and the state it keeps between them."""

    def _restore(self) -> None:
        """Put back the weights of the last finite sync point."""
        with torch.no_grad():
            for t, g in zip(self._live, self._good):
                t.copy_(g)

    def _begin(self, total: int, last_epoch: int) -> None:
        self._total, self._last_epoch = total, last_epoch
        self._start_step = self._synced_step = self.step
        self._terms: dict[str, float] = {}
        self._optimizer = None
        self._rate = 0.0
        self._share, self._every = 1.0, 8  # ranks: the last batch's share, steps between syncs
        self._last_sync = self._last_weights = self._last_check = time.perf_counter()
        live = list(self.model.state_dict().values())
        self._live = [t for t in live if t.is_floating_point()]
        self._good = [t.detach().clone() for t in self._live]  # weights at the last finite sync

    def _sync_due(self) -> bool:
        """About every SYNC_S; ranks sync at the same steps, every `_every` (rank 0's choice)."""
        if self.dist:
            return self.step - self._synced_step >= self._every
        return time.perf_counter() - self._last_sync >= SYNC_S

    def _snapshot_due(self, seconds: float) -> bool:
        return time.perf_counter() - self._last_weights >= seconds

    def _progress(self, epoch: int, weights: bool = False, **kw) -> Progress:
        done = self.step - self._start_step
        bs = self.train_config.batch_size
        eta = (self._total - done) * bs / self._rate if self._rate > 0 else math.inf
        state = None
        if weights:
            state = _cpu_copy(self.model.state_dict())
            self._last_weights = time.perf_counter()
        frac = done / self._total
        lr = float(self._optimizer.param_groups[0]["lr"]) if self._optimizer else 0.0
        return Progress(self.step, epoch, self._last_epoch, frac, self._rate, eta,
                        dict(self._terms), weights=state, lr=lr, best_epoch=self.best_epoch,
                        **kw)  # fmt: skip

    def _sync(self, out) -> str | None:
        """Read the latest terms (one device sync) and, at most every SYNC_S, check the
        weights too and keep a copy of them; on nan/inf restore the last copy and say so."""
        now = time.perf_counter()
        check = now - self._last_check >= SYNC_S  # tiny epochs skip the weight check
        values = torch.stack([out.loss.detach(), *(out.terms[k].detach() for k in self.names[1:])])
        if self.dist:  # the global batch's terms, and the steps to the next sync
            every = (self.step - self._synced_step) * SYNC_S / max(now - self._last_sync, 1e-9)
            values, self._every, stop = self.dist.reduce_terms(
                values, self._share, every, self._stop_asked
            )
            if stop:
                self._stop.set()
        row = (torch.cat([values, total_norm(self._live).view(1)]) if check else values).tolist()
        inst = (self.step - self._synced_step) * self.train_config.batch_size
        inst /= max(now - self._last_sync, 1e-9)
        self._rate = inst if self._rate == 0 else SMOOTHING * inst + (1 - SMOOTHING) * self._rate
        self._last_sync, self._synced_step = now, self.step
        with torch.no_grad():
            if not all(math.isfinite(v) for v in row):
                self._restore()
                if self._x.is_floating_point() and not bool(torch.isfinite(self._x).all()):
                    return (
                        f"Training stopped at step {self.step} because the training images hold "
                        "NaN or infinite values (the last good weights were kept): fix the data."
                    )
                bad = next((v for v in row if not math.isfinite(v)), math.nan)
                return (
                    f"Training diverged at step {self.step} (loss became {bad}): lower the "
                    f"learning rate (now {self.train_config.lr}) and train again."
                )
            if check:
                for g, t in zip(self._good, self._live):
                    g.copy_(t)
                self._last_check = now
        self._terms.update(zip(self.names, row))
        train = self.history["train"]
        train["step"].append(self.step)
        for k in self.names:
            train[k].append(self._terms[k])
        train.setdefault("lr", []).append(float(self._optimizer.param_groups[0]["lr"]))
        return None
