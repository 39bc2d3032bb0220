"""What callers ask an objective instead of testing its name."""

from __future__ import annotations

import pytest
import torch

from models import OBJECTIVES, ModelConfig, build


@pytest.mark.parametrize("objective", list(OBJECTIVES))
def test_prior_and_corruption_hooks(objective):
    channels = 3 if 1 not in OBJECTIVES[objective].channels else 1
    model = build(ModelConfig(objective=objective, input_shape=(channels, 8, 8)))
    assert model.has_prior == (objective == "vae")
    if objective == "denoising":
        assert model.corruption == model.config.noise
        batch = torch.rand(4, channels, 8, 8)
        noisy, clean = model.training_pair(batch, torch.Generator().manual_seed(0))
        assert torch.equal(clean, batch) and not torch.equal(noisy, batch)
    else:
        assert model.corruption is None
