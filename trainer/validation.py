"""Validation: every loss term's mean over a split, and the objective's PSNR figures.

The inputs come from the model's `training_pair` with a fixed seed, so epochs compare;
the model is measured in eval mode (and left in it) with its full term weights (no warm-up).
"""

from __future__ import annotations

import math

import torch
from torch import nn

VAL_BATCH = 1024  # validation batches are at least this big


def psnr_db(mse: float) -> float:
    """10 log10(1 / mse): the PSNR of images in [0, 1] with this mean squared error."""
    return math.inf if mse <= 0 else 10.0 * math.log10(1.0 / mse)


@torch.no_grad()
def validate(
    model: nn.Module, x: torch.Tensor, names: list[str], batch_size: int, seed: int, reduce=None
):
    """{name: mean} for "loss" and each term in `names` over images x (on the model's
    device), and `<name>_psnr_db` for each of the model's `psnr_errors`; {} when x is empty.
    `reduce` (ranks of a distributed run): adds up every rank's sums and counts."""
    warmup = getattr(model, "warmup", 1.0)
    model.eval()
    model.warmup = 1.0
    try:
        return _means(model, x, names, max(batch_size, VAL_BATCH), seed, reduce)
    finally:
        model.warmup = warmup


def _means(model, x, names, bs, seed, reduce=None) -> dict[str, float]:
    gen = torch.Generator(device=x.device).manual_seed(seed)
    rows, sizes, errors = [], [], {}
    for i in range(0, len(x), bs):
        inputs, target = model.training_pair(x[i : i + bs], gen)
        out = model(inputs, target=target)
        rows.append(torch.stack([out.loss, *(out.terms[k] for k in names[1:])]))
        sizes.append(len(target))
        for k, v in model.psnr_errors(target, out.recon).items():
            errors[k] = errors.get(k, 0.0) + v.double().sum()
    if not rows:
        return {}
    values = torch.stack(rows).tolist()
    sums = [sum(r[j] * s for r, s in zip(values, sizes)) for j in range(len(rows[0]))]
    sums, count = [*sums, *(float(v) for v in errors.values())], len(x)
    if reduce is not None:
        *sums, count = reduce(torch.tensor([*sums, count], dtype=torch.float64)).tolist()
    means = [v / count for v in sums[: len(rows[0])]]
    figures = {f"{k}_psnr_db": psnr_db(v / count) for k, v in zip(errors, sums[len(rows[0]) :])}
    return {**dict(zip(names, means)), **figures}
