"""Validation: every loss term's mean over a split, and the objective's PSNR figures.

The inputs come from the model's `training_pair` with a fixed seed, so epochs compare;
the model is measured in eval mode (and left in it) with its full term weights (no warm-up).
"""

from __future__ import annotations

import math

import torch
from torch import nn

from trainer.data.base import as_float

VAL_BATCH = 1024  # validation batches are at least this big ...
VAL_VALUES = 1 << 20  # ... unless that is more pixel values than this: then the training batch


def psnr_db(mse: float) -> float:
    """10 log10(1 / mse): the PSNR of images in [0, 1] with this mean squared error."""
    return math.inf if mse <= 0 else 10.0 * math.log10(1.0 / mse)


def _on_device(device):
    def fetch(x: torch.Tensor, index: torch.Tensor) -> torch.Tensor:
        return as_float(x[index], device)

    return fetch


@torch.no_grad()
def validate(
    model: nn.Module,
    x: torch.Tensor,
    names: list[str],
    batch_size: int,
    seed: int,
    index: torch.Tensor | None = None,
    fetch=None,
    reduce=None,
):
    """{name: mean} for "loss" and each term in `names` over images x (x[index] when
    given), and `<name>_psnr_db` for each of the model's `psnr_errors`; {} when there are
    none. Each batch becomes floats on the model's device through `fetch(x, batch_index)`
    (default: indexed, then `as_float` there), so uint8 or memory-mapped x is never
    converted whole. `reduce` (ranks of a distributed run): adds up every rank's sums and
    counts."""
    warmup = getattr(model, "warmup", 1.0)
    model.eval()
    model.warmup = 1.0
    device = next(model.parameters()).device
    index = torch.arange(len(x)) if index is None else index
    try:
        rows = min(VAL_BATCH, max(1, VAL_VALUES // max(1, x[0].numel())))  # big images: fewer
        return _means(model, x, index, fetch or _on_device(device), names,
                      max(batch_size, rows), seed, device, reduce)  # fmt: skip
    finally:
        model.warmup = warmup


def _means(model, x, index, fetch, names, bs, seed, device, reduce=None) -> dict[str, float]:
    gen = torch.Generator(device=device).manual_seed(seed)
    rows, sizes, errors = [], [], {}
    for i in range(0, len(index), bs):
        inputs, target = model.training_pair(fetch(x, index[i : i + bs]), gen)
        out = model(inputs, target=target)
        rows.append(torch.stack([out.loss, *(out.terms[k] for k in names[1:])]))
        sizes.append(len(target))
        for k, v in model.psnr_errors(target, out.recon).items():
            errors[k] = errors.get(k, 0.0) + v.double().sum()
    if not rows:
        return {}
    values = torch.stack(rows).tolist()
    sums = [sum(r[j] * s for r, s in zip(values, sizes)) for j in range(len(rows[0]))]
    sums, count = [*sums, *(float(v) for v in errors.values())], len(index)
    if reduce is not None:
        *sums, count = reduce(torch.tensor([*sums, count], dtype=torch.float64)).tolist()
    means = [v / count for v in sums[: len(rows[0])]]
    figures = {f"{k}_psnr_db": psnr_db(v / count) for k, v in zip(errors, sums[len(rows[0]) :])}
    return {**dict(zip(names, means)), **figures}
