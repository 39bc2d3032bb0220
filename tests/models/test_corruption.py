"""Corruptions: fresh every call, the same for the same seed, values stay in [0, 1]."""

import pytest
import torch

from models.corruption import CORRUPTIONS, KINDS, corrupt, parse_noise

SPECS = ["gaussian:0.5", "salt_pepper:0.2", "mask:0.3", "watermark:0.6"]


def _images(shape=(4, 1, 28, 28), seed=0):
    return torch.rand(shape, generator=torch.Generator().manual_seed(seed))


def test_every_kind_has_a_spec_here():
    assert sorted(spec.split(":")[0] for spec in SPECS) == sorted(KINDS) == sorted(CORRUPTIONS)


@pytest.mark.parametrize("spec", SPECS)
@pytest.mark.parametrize("shape", [(4, 1, 8, 8), (4, 1, 28, 28), (2, 3, 32, 32), (3, 1, 9, 13)])
def test_corruption_properties(spec, shape):
    x = _images(shape)
    original = x.clone()
    a, b = corrupt(x, spec), corrupt(x, spec)
    assert a.shape == x.shape and a.dtype == x.dtype
    assert not torch.equal(a, b)  # fresh on every call
    assert not torch.equal(a, x)  # it does something
    assert torch.equal(x, original)  # the input is left alone
    for out in (a, b):
        assert out.min() >= 0 and out.max() <= 1
    seeded = [corrupt(x, spec, torch.Generator().manual_seed(7)) for _ in range(2)]
    assert torch.equal(seeded[0], seeded[1])  # same seed, same corruption
    assert not torch.equal(seeded[0], corrupt(x, spec, torch.Generator().manual_seed(8)))


@pytest.mark.parametrize("spec", SPECS)
def test_one_image_without_batch_axis(spec):
    x = _images((4, 1, 28, 28))
    single = corrupt(x[0], spec, torch.Generator().manual_seed(3))
    assert single.shape == x[0].shape and single.min() >= 0 and single.max() <= 1


@pytest.mark.parametrize("kind", KINDS)
def test_level_zero_changes_nothing(kind):
    x = _images()
    assert torch.equal(corrupt(x, f"{kind}:0"), x)


def test_corrupt_dispatches_to_the_single_functions():
    x = _images()
    for spec in SPECS:
        kind, level = parse_noise(spec)
        ours = corrupt(x, spec, torch.Generator().manual_seed(1))
        theirs = CORRUPTIONS[kind](x, level, torch.Generator().manual_seed(1))
        assert torch.equal(ours, theirs)


def test_levels_mean_what_they_say():
    grey = torch.full((64, 1, 28, 28), 0.5)
    g = torch.Generator().manual_seed(0)
    noise = corrupt(grey, "gaussian:0.1", g) - grey
    assert abs(noise.std().item() - 0.1) < 0.005 and abs(noise.mean().item()) < 0.005
    salted = corrupt(grey, "salt_pepper:0.2", g)
    hit = salted != 0.5
    assert abs(hit.float().mean().item() - 0.2) < 0.01
    assert abs((salted[hit] == 1).float().mean().item() - 0.5) < 0.03  # half salt, half pepper
    ones = torch.ones(64, 3, 32, 32)
    masked = corrupt(ones, "mask:0.3", g)
    assert abs((masked == 0).float().mean().item() - 0.3) < 0.03
    assert torch.equal(masked[:, 0], masked[:, 2])  # whole pixels, all channels


@pytest.mark.parametrize("level", [0.2, 0.6, 1.0])
def test_watermark_opacity_bounds_the_change(level):
    x = _images((16, 1, 28, 28))
    out = corrupt(x, f"watermark:{level}", torch.Generator().manual_seed(0))
    change = (out - x).abs()
    assert change.max() <= level + 1e-6
    touched = (change > 1e-6).float().mean(dim=(1, 2, 3))
    assert torch.all(touched > 0.03) and torch.all(touched < 0.8)  # visible, not everything


def test_watermark_is_visible_on_dark_and_light_images():
    dark, light = torch.zeros(8, 1, 28, 28), torch.ones(8, 1, 28, 28)
    assert corrupt(dark, "watermark:0.8").amax(dim=(1, 2, 3)).min() >= 0.79
    assert corrupt(light, "watermark:0.8").amin(dim=(1, 2, 3)).max() <= 0.21


@pytest.mark.parametrize(
    ("spec", "words"),
    [
        ("gaussian:0.5", ("gaussian", 0.5)),
        (" mask:0.25", ("mask", 0.25)),
        ("watermark:1", ("watermark", 1.0)),
    ],
)
def test_parse_noise(spec, words):
    assert parse_noise(spec) == words


@pytest.mark.parametrize(
    ("spec", "pattern"),
    [
        ("blur:0.5", r"noise must look like 'kind:level' with kind one of gaussian, salt_pepper"),
        ("gaussian", "noise must look like"),
        ("gaussian:0.5:1", "noise must look like"),
        (None, "noise must look like"),
        ("gaussian:9", r"noise level for gaussian .* must be a number from 0 to 5, not '9'"),
        ("mask:-0.1", "noise level for mask .* from 0 to 1"),
        ("salt_pepper:lots", "noise level for salt_pepper"),
        ("watermark:nan", "noise level for watermark"),
    ],
)
def test_bad_noise_specs_say_what_is_allowed(spec, pattern):
    with pytest.raises(ValueError, match=pattern):
        parse_noise(spec)
    with pytest.raises(ValueError, match=pattern):
        corrupt(_images(), spec)


def test_bad_image_shape_is_refused():
    with pytest.raises(ValueError, match=r"images must have shape \[N, C, H, W\]"):
        corrupt(torch.rand(28, 28), "gaussian:0.1")


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
@pytest.mark.parametrize("spec", SPECS)
def test_works_on_the_tensors_device_with_a_cpu_generator(spec):
    x = _images()
    on_gpu = corrupt(x.cuda(), spec, torch.Generator().manual_seed(4))
    assert on_gpu.device.type == "cuda"
    torch.testing.assert_close(on_gpu.cpu(), corrupt(x, spec, torch.Generator().manual_seed(4)))
    assert corrupt(x.cuda(), spec).device.type == "cuda"
