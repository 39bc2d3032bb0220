"""The lecture's pretraining experiment: with few labels, does the autoencoder's encoder help?

A classifier is the encoder (up to the code) plus a linear head, fine-tuned end to end on
k labelled examples per class; the same network from random weights is trained the same
way. Both are scored on the whole test split.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable

import numpy as np
import torch
from torch import nn

from models import build
from trainer.analysis.probes import BATCH, device_of
from trainer.data.base import as_float


def seeded_init(module: nn.Module, generator: torch.Generator) -> nn.Module:
    """Re-initialise Linear and conv layers as PyTorch's defaults do, drawing from `generator`."""
    for layer in module.modules():
        if isinstance(layer, (nn.Linear, nn.Conv2d, nn.ConvTranspose2d)):
            nn.init.kaiming_uniform_(layer.weight, a=math.sqrt(5), generator=generator)
            if layer.bias is not None:
                fan_in, _ = nn.init._calculate_fan_in_and_fan_out(layer.weight)
                bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0.0
                nn.init.uniform_(layer.bias, -bound, bound, generator=generator)
    return module


def seeded(make: Callable[[], nn.Module], generator: torch.Generator) -> nn.Module:
    """make() on the meta device (no draw from the global RNG, which a training thread uses),
    then materialised on the CPU and initialised from `generator`."""
    with torch.device("meta"):
        module = make()
    return seeded_init(module.to_empty(device="cpu"), generator)


class Classifier(nn.Module):
    """An autoencoder's encoder followed by a linear layer to class scores."""

    def __init__(self, autoencoder: nn.Module, classes: int, generator: torch.Generator) -> None:
        super().__init__()
        self.autoencoder = autoencoder
        self.head = seeded(lambda: nn.Linear(autoencoder.code_size, classes), generator)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.autoencoder.encode(x))


def few_labels(labels: torch.Tensor, per_class: int, seed: int = 0) -> torch.Tensor:
    """Indices of up to per_class training examples of each class, chosen at random (seeded)."""
    rng = np.random.default_rng(seed)
    y = labels.cpu().numpy()
    picked = [rng.permutation(np.flatnonzero(y == c))[:per_class] for c in np.unique(y)]
    return torch.as_tensor(np.sort(np.concatenate(picked)), dtype=torch.long)


def accuracy(net: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    """Fraction of x classified as y, in batches without gradients."""
    net.eval()
    device = device_of(net)
    correct = 0
    with torch.no_grad():
        for i in range(0, len(x), BATCH):
            scores = net(as_float(x[i : i + BATCH], device))
            correct += int((scores.argmax(1).cpu() == y[i : i + BATCH]).sum())
    return correct / max(len(x), 1)


def fine_tune(
    net: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    steps: int,
    lr: float,
    on_step: Callable[[], None] | None = None,
) -> None:
    """Full-batch Adam on cross-entropy for a fixed number of steps (x, y are few)."""
    net.train()
    device = device_of(net)
    x, y = x.to(device), y.to(device)
    params = [p for p in net.parameters() if p.requires_grad]
    optimizer = torch.optim.Adam(params, lr=lr)
    for _ in range(steps):
        optimizer.zero_grad()
        nn.functional.cross_entropy(net(x), y).backward()
        optimizer.step()
        if on_step is not None:
            on_step()


def pretraining_experiment(
    model,
    dataset,
    labels_per_class: int = 10,
    steps: int = 200,
    lr: float = 1e-3,
    seed: int = 0,
    progress: Callable[[float], None] | None = None,
) -> dict:
    """Test accuracy of encoder+head from the autoencoder's weights and from random weights.

    `progress(fraction)` is called after every step; raise from it to cancel.
    """
    classes = len(dataset.classes)
    if classes < 2:
        raise ValueError(
            f"the pretraining experiment needs labels of at least 2 classes, and "
            f"{dataset.name} has {classes}: pick a dataset with labels."
        )
    keep = few_labels(dataset.train_y, labels_per_class, seed)
    x, y = as_float(dataset.train_x[keep]), dataset.train_y[keep]
    done = [0]

    def step() -> None:
        done[0] += 1
        if progress is not None:
            progress(done[0] / (2 * steps))

    results = {"labels_per_class": labels_per_class, "labelled": len(keep), "steps": steps}
    for name in ("pretrained", "scratch"):
        # Own generator, not the global RNG: a run may be training in another thread.
        generator = torch.Generator().manual_seed(seed)  # the same head on a repeat
        if name == "pretrained":
            encoder = copy.deepcopy(model)
        else:
            encoder = seeded(lambda: build(model.config.copy()), generator)
        for p in encoder.parameters():
            p.requires_grad_(True)
        net = Classifier(encoder, classes, generator).to(device_of(model))
        fine_tune(net, x, y, steps, lr, step)
        results[name] = accuracy(net, dataset.test_x, dataset.test_y)
    return results
