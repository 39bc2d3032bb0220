"""The training loop: `Trainer.run()` is a generator of `Progress` that the GUI and CLI drive.

Speed: the data lives on the device as uint8 (a dataset beyond the memory budget stays in
its memory-mapped file), batches are cut by index from a seeded permutation and made floats,
and loss values are read (and nan/inf checked) only at sync points, about every 50 ms and
at each epoch end, so the device never waits for Python in between. A diverged run gets
the weights of the last finite sync point back (trainer/sync.py: what a sync point does).

Optimisation (trainer/schedules.py, trainer/stopping.py): Adam (AdamW with weight decay),
a learning-rate schedule stepped after every batch, optional gradient clipping, a warm-up
of the weights the objective names in `warmup_terms` (the VAE's kl), and early stopping on
a validation split held out from the training split that ends with the best epoch's
weights.

Progress carries a CPU copy of the weights about every 0.5 s, at each epoch end that is at
least 50 ms after the previous copy (so tiny epochs do not flood the GUI), and in the last
Progress of a run. While paused, `run()` yields one Progress (with weights) and then blocks
in `next()`, using no CPU, until resumed or stopped.
"""

from __future__ import annotations

import contextlib
import math
import threading
import time
from collections.abc import Iterator

import torch
from torch import nn

from models import ModelConfig, build, term_names
from trainer import distributed
from trainer.config import TrainConfig
from trainer.data.base import as_float
from trainer.devices import out_of_memory, resolve_device
from trainer.progress import Progress, empty_history, record_figures
from trainer.schedules import make_optimizer, make_scheduler, rising_share
from trainer.stopping import EarlyStopping, holdout
from trainer.sync import SYNC_S, WEIGHTS_S, SyncPoints
from trainer.validation import validate

__all__ = ["Progress", "Trainer"]


class Trainer(SyncPoints):
    """Trains `model` (built from `model_config` when not given) on `dataset`.

    `history` (plain lists) continues the one given; steps and epochs count on from it.
    """

    def __init__(
        self,
        model_config: ModelConfig,
        train_config: TrainConfig,
        dataset,
        model: nn.Module | None = None,
        history: dict | None = None,
    ) -> None:
        train_config.validate()
        model_config.validate()
        if tuple(model_config.input_shape) != tuple(dataset.shape):
            raise ValueError(
                f"the model expects images of shape {tuple(model_config.input_shape)} but "
                f"{dataset.name} has {tuple(dataset.shape)}: build the model for this dataset."
            )
        if len(dataset.train_x) == 0:
            raise ValueError(f"{dataset.name} has no training images: pick another dataset.")
        self.model_config = model_config
        self.train_config = train_config
        self.dataset = dataset
        self.dist = distributed.current()  # one of several ranks (trainer/distributed.py)
        self.device = self.dist.device if self.dist else resolve_device(train_config.device)
        if train_config.precision == "bf16" and self.device.type not in ("cpu", "cuda"):
            raise ValueError(f"precision bf16 needs CUDA or the CPU, not {self.device.type}.")
        torch.manual_seed(train_config.seed)
        try:
            self.model = (model if model is not None else build(model_config)).to(self.device)
        except (RuntimeError, MemoryError) as error:
            if not out_of_memory(error):
                raise
            raise ValueError(
                f"the model does not fit in the memory of {self.device}: choose smaller hidden "
                "sizes or a smaller code size."
            ) from None
        self._net = self.dist.wrap(self.model) if self.dist else self.model
        self.names = ["loss", *(n for n in term_names(model_config.objective) if n != "loss")]
        self.history = empty_history(self.names)
        for split, columns in (history or {}).items():
            for key, values in columns.items():
                self.history.setdefault(split, {})[key] = list(values)
        self.step = (self.history["train"]["step"] or [0])[-1]
        # Validation images come out of the training split; the test split is only reported.
        self.train_index, self.val_index = holdout(len(dataset.train_x), train_config.val_fraction)
        self.best_epoch = 0  # the epoch whose weights early stopping kept (0: none)
        self._resume = threading.Event()
        self._resume.set()
        self._stop = threading.Event()
        self._stop_asked = False
        self.waiting = threading.Event()  # set while run() is blocked in a pause

    @property
    def paused(self) -> bool:
        return not self._resume.is_set()

    def pause(self) -> None:
        self._resume.clear()

    def resume(self) -> None:
        self._resume.set()

    def stop(self) -> None:
        if self.dist:  # ranks stop together: at the next sync, which they reach at one step
            self._stop_asked = True
        else:
            self._stop.set()
        self._resume.set()

    def run(self) -> Iterator[Progress]:
        """Train for `epochs` epochs, yielding Progress; the last one is done, stopped or error."""
        cfg, model, device = self.train_config, self.model, self.device
        n, bs = len(self.train_index), cfg.batch_size
        first = (self.history["val"]["epoch"] or [0])[-1]
        # A last batch of one image (per rank) is left out: batch norm cannot train on it.
        world = self.dist.world if self.dist else 1
        per_epoch = max(1, n // bs if 0 < n % bs < 2 * world else math.ceil(n / bs))
        total = per_epoch * cfg.epochs
        self._begin(total=total, last_epoch=first + cfg.epochs)
        out, epoch = None, first
        # The objective names the terms whose weight warms up (the VAE: kl); others have none.
        # A warm-up lasts at most half the run, so a shortened run still ends at full weight.
        warm_epochs = min(cfg.kl_warmup, cfg.epochs // 2)
        warm_steps = per_epoch * warm_epochs if getattr(model, "warmup_terms", ()) else 0
        settle = first + math.ceil(rising_share(cfg.schedule) * cfg.epochs)
        stopper = EarlyStopping(cfg.patience if len(self.val_index) else 0, settle)
        try:
            # uint8 pixels live on the device (memory-mapped ones stay in their file) and
            # become floats a batch at a time there (trainer.data.base.as_float).
            x = self._x = self._images(self.dataset.train_x)
            # Batches index the whole split through the training indices (no copy of it).
            keep = self.train_index.to(device) if len(self.val_index) else None
            gen = torch.Generator(device=device).manual_seed(cfg.seed)
            order_gen = self.dist.order_generator(gen, cfg.seed) if self.dist else gen
            optimizer = self._optimizer = make_optimizer(model, cfg.lr, device, cfg.weight_decay)
            scheduler = make_scheduler(cfg.schedule, optimizer, total)
            params = [p for p in model.parameters() if p.requires_grad]
            # bf16: autocast of the forward pass (--bf16); otherwise no context's cost per step
            amp = torch.autocast(device.type, torch.bfloat16) if cfg.precision == "bf16" else None
            amp = amp or contextlib.nullcontext()
            for epoch in range(first + 1, self._last_epoch + 1):
                model.train()
                order = torch.randperm(n, generator=order_gen, device=device)
                if keep is not None:
                    order = keep[order]
                order = order.to(x.device)  # a memory-mapped split is indexed on the CPU
                for i in range(0, per_epoch * bs, bs):
                    if self._stop.is_set() or not self._resume.is_set():
                        if not self._stop.is_set():
                            yield self._progress(epoch, weights=True, paused=True)
                            self.waiting.set()
                            self._resume.wait()
                            self.waiting.clear()
                            self._last_sync = time.perf_counter()  # the rate skips the pause
                            self._synced_step = self.step
                        if self._stop.is_set():
                            yield self._progress(epoch, weights=True, stopped=True)
                            return
                    if warm_steps:
                        model.warmup = min(1.0, (self.step - self._start_step + 1) / warm_steps)
                    batch = self._batch(x, self._part(order[i : i + bs]))
                    with amp:
                        inputs, target = model.training_pair(batch, gen)
                        out = self._net(inputs, target=target)
                    optimizer.zero_grad(set_to_none=True)
                    (out.loss if self._share == 1 else out.loss * self._share).backward()
                    if cfg.clip:
                        torch.nn.utils.clip_grad_norm_(params, cfg.clip, foreach=True)
                    optimizer.step()
                    if scheduler is not None:
                        scheduler.step()
                    self.step += 1
                    if self.step == self._start_step + 1:  # the rate leaves out warm-up
                        self._last_sync, self._synced_step = time.perf_counter(), self.step
                    if self._sync_due() and i + bs < per_epoch * bs:
                        error = self._sync(out)
                        if error:
                            yield self._progress(epoch, weights=True, error=error)
                            return
                        yield self._progress(epoch, weights=self._snapshot_due(WEIGHTS_S))
                error = self._sync(out)
                if error:
                    yield self._progress(epoch, weights=True, error=error)
                    return
                val = self.validate()
                if val:
                    self.history["val"]["step"].append(self.step)
                    self.history["val"]["epoch"].append(epoch)
                    for k in self.names:
                        self.history["val"][k].append(val[k])
                    extra = {k: v for k, v in val.items() if k not in self.names}
                    record_figures(self.history, self.step, epoch, extra)
                last = epoch == self._last_epoch
                # Early stopping compares epochs trained with the full weights (after warm-up).
                early = False
                if stopper.active and val and self.step - self._start_step >= warm_steps:
                    early = stopper.update(epoch, val["loss"], model)
                if (early or last) and stopper.restore(model):
                    self.best_epoch = stopper.best_epoch
                weights = last or early or self._snapshot_due(SYNC_S)
                terms = {k: val[k] for k in self.names} if val else val
                yield self._progress(epoch, weights=weights, val_terms=terms, done=last or early)
                if early:
                    return
        except Exception as error:  # out of memory, data that fails to read, a failing loss term
            self._restore()
            yield self._progress(epoch, weights=True, error=self._failure(error))
        finally:
            model.warmup = 1.0  # the trained model reports and samples with its full weights

    def _failure(self, error: Exception) -> str:
        """One sentence for an exception that ended the run."""
        text = str(error).strip()
        if out_of_memory(error):
            return (
                f"Out of memory on {self.device} at step {self.step}: lower the batch size "
                f"(now {self.train_config.batch_size}) or pick a smaller model, and train again."
            )
        first = text.splitlines()[0].rstrip(".") if text else "no details"
        return (
            f"Training stopped at step {self.step} by an error ({type(error).__name__}: {first}), "
            "keeping the last good weights: check the data and settings, and train again."
        )

    def _part(self, batch: torch.Tensor) -> torch.Tensor:
        """This rank's part of a global batch (all of it in an ordinary run)."""
        if self.dist:
            batch, self._share = self.dist.part(batch)
        return batch

    def _images(self, x: torch.Tensor) -> torch.Tensor:
        """The images training indexes: on the device, unless memory-mapped (then in place)."""
        return x if self.dataset.mapped else x.to(self.device)

    def _batch(self, x: torch.Tensor, index: torch.Tensor) -> torch.Tensor:
        """Images x[index] as floats on the device: a batch copied out of a memory-mapped
        file goes through pinned memory to CUDA without blocking."""
        batch = x[index]
        if batch.device != self.device:
            cuda = self.device.type == "cuda"
            batch = batch.pin_memory() if cuda else batch
            return as_float(batch, self.device, non_blocking=cuda)
        return as_float(batch)

    def validate(self) -> dict[str, float]:
        """Mean of every term over the validation split (held out from the training split;
        the test split when there is none), and the objective's figures (trainer.validation)."""
        if len(self.val_index):  # the training split as run() placed it, if it ran
            x, index = getattr(self, "_x", self.dataset.train_x), self.val_index
        else:
            x, index = self.dataset.test_x, torch.arange(len(self.dataset.test_x))
        reduce = None
        if self.dist and len(index) >= self.dist.world:  # each rank its part, the sums added up
            index, reduce = index[self.dist.rank :: self.dist.world], self.dist.reduce_sums
        return validate(self.model, x, self.names, self.train_config.batch_size,
                        self.train_config.seed + 1, index=index, fetch=self._batch,
                        reduce=reduce)  # fmt: skip
