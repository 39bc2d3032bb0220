"""Early stopping on a validation split held out from the training split.

The test split is never used to choose anything: `holdout` carves the validation images
out of the training split (a fixed permutation, the same for every seed, so validation
losses of different runs compare), and `EarlyStopping` keeps the weights of the epoch with
the lowest validation loss.
"""

from __future__ import annotations

import math

import torch
from torch import nn

HOLDOUT_SEED = 0  # the validation split does not change with the training seed
MIN_TRAIN = 1  # a holdout never leaves fewer training images than this


def holdout(n: int, fraction: float) -> tuple[torch.Tensor, torch.Tensor]:
    """(train indices, validation indices) of n training images; no validation when
    `fraction` is 0 or the split would be too small to hold one image each side."""
    n_val = int(math.floor(n * fraction))
    if n_val < 1 or n - n_val < MIN_TRAIN:
        return torch.arange(n), torch.arange(0)
    order = torch.randperm(n, generator=torch.Generator().manual_seed(HOLDOUT_SEED))
    return order[n_val:].sort().values, order[:n_val].sort().values


class EarlyStopping:
    """Tracks the best validation loss; `update` says when `patience` epochs brought nothing
    better, never before epoch `settle` (while the learning rate still rises the validation
    loss is noisy). `restore(model)` puts the best epoch's weights (and buffers) back."""

    def __init__(self, patience: int, settle: int = 0) -> None:
        self.patience = patience
        self.settle = settle
        self.best = math.inf
        self.best_epoch = 0
        self._state: dict[str, torch.Tensor] | None = None

    @property
    def active(self) -> bool:
        return self.patience > 0

    def update(self, epoch: int, loss: float, model: nn.Module) -> bool:
        """Record epoch's validation loss; True when the run should stop now."""
        if loss < self.best:
            self.best, self.best_epoch = loss, epoch
            self._state = {k: v.detach().clone() for k, v in model.state_dict().items()}
            return False
        return epoch >= self.settle and epoch - self.best_epoch >= self.patience

    def restore(self, model: nn.Module) -> bool:
        """Load the best weights into model; False when there is nothing recorded."""
        if self._state is None:
            return False
        with torch.no_grad():
            for key, value in model.state_dict().items():
                value.copy_(self._state[key])
        return True
