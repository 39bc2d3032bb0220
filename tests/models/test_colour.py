"""Colourisation's model side: BT.601 grey and chroma, the colourise objective's hooks."""

import pytest
import torch

from models import ModelConfig, build
from models.colour import chroma, from_ycbcr, grey3, luminance
from models.corruption import corrupt


def _rgb(n=4, size=8, seed=0):
    return torch.rand((n, 3, size, size), generator=torch.Generator().manual_seed(seed))


def test_grey_uses_bt601_weights_and_repeats_in_three_channels():
    x = torch.zeros(1, 3, 2, 2)
    x[0, 0], x[0, 1], x[0, 2] = 1.0, 0.5, 0.25  # R, G, B
    grey = grey3(x)
    assert grey.shape == (1, 3, 2, 2)
    expected = 0.299 * 1.0 + 0.587 * 0.5 + 0.114 * 0.25
    torch.testing.assert_close(grey, torch.full_like(grey, expected))
    with pytest.raises(ValueError, match=r"\[N, 3, H, W\]"):
        luminance(torch.rand(2, 1, 4, 4))


def test_chroma_is_half_for_grey_and_ycbcr_round_trips():
    x = _rgb()
    torch.testing.assert_close(chroma(grey3(x)), torch.full((4, 2, 8, 8), 0.5))
    y, planes = luminance(x), chroma(x)
    torch.testing.assert_close(from_ycbcr(y, planes[:, :1], planes[:, 1:]), x)
    red = torch.tensor([1.0, 0.0, 0.0]).view(1, 3, 1, 1)
    torch.testing.assert_close(
        chroma(red).flatten(), torch.tensor([0.5 - 0.5 * 0.299 / 0.886, 1.0])
    )


@pytest.mark.parametrize("backbone", ["linear", "mlp", "conv"])
def test_colouriser_trains_on_grey_inputs_against_colour_targets(backbone):
    model = build(ModelConfig(backbone, "colourise", (3, 8, 8), code_size=4, hidden=[8, 16]))
    x = _rgb()
    inputs, target = model.training_pair(x)
    torch.testing.assert_close(inputs, grey3(x))
    assert target is x
    torch.testing.assert_close(model.inputs_for(x), grey3(x))
    with torch.no_grad():  # the encoder sees grey whatever it is given
        torch.testing.assert_close(model.encode(x), model.encode(grey3(x)), atol=1e-5, rtol=0)
    figures = model.psnr_errors(target, model(inputs, target).recon)
    assert set(figures) == {"colour", "grey", "chroma", "grey_chroma"}
    assert all(v.shape == (4,) and bool((v >= 0).all()) for v in figures.values())


def test_colourise_refuses_grey_images_in_one_sentence():
    with pytest.raises(ValueError) as caught:
        build(ModelConfig("conv", "colourise", (1, 8, 8), hidden=[8]))
    text = str(caught.value)
    assert text.startswith("objective colourise needs images with 3 channels but these have 1")
    assert "shapes-colour" in text and text.count(". ") == 0


def test_training_pairs_of_plain_and_denoising_objectives():
    x = _rgb()
    plain = build(ModelConfig("mlp", "ae", (3, 8, 8)))
    assert all(t is x for t in plain.training_pair(x))
    assert plain.inputs_for(x) is x and plain.psnr_errors(x, x) == {}
    noisy = build(ModelConfig("mlp", "denoising", (3, 8, 8), noise="gaussian:0.3"))
    inputs, target = noisy.training_pair(x, torch.Generator().manual_seed(5))
    torch.testing.assert_close(inputs, corrupt(x, "gaussian:0.3", torch.Generator().manual_seed(5)))
    assert target is x
