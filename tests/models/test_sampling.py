"""Prior samples with a temperature, and linear and spherical paths between codes."""

import math

import numpy as np
import pytest
import torch

from models.sampling import lerp, path, prior_sample, slerp


def _gen(seed=0):
    return torch.Generator().manual_seed(seed)


def test_prior_samples_have_the_shape_and_are_repeatable():
    z = prior_sample(5, 3, generator=_gen())
    assert z.shape == (5, 3) and z.dtype == torch.float32
    assert torch.equal(z, prior_sample(5, 3, generator=_gen()))
    assert not torch.equal(prior_sample(5, 3), prior_sample(5, 3))


@pytest.mark.parametrize("temperature", [0.0, 0.5, 2.0])
def test_temperature_scales_the_spread(temperature):
    base = prior_sample(20_000, 4, generator=_gen(1))
    hot = prior_sample(20_000, 4, temperature=temperature, generator=_gen(1))
    torch.testing.assert_close(hot, temperature * base)
    assert abs(hot.std().item() - temperature) < 0.02 * max(temperature, 1)


def test_fitted_gaussian_is_reproduced():
    mean = torch.tensor([1.0, -2.0, 0.5])
    a = torch.tensor([[1.0, 0.0, 0.0], [0.8, 0.6, 0.0], [0.2, -0.3, 0.5]])
    cov = a @ a.T
    z = prior_sample(50_000, 3, generator=_gen(2), mean=mean, cov=cov)
    torch.testing.assert_close(z.mean(0), mean, atol=0.03, rtol=0)
    torch.testing.assert_close(torch.cov(z.T), cov, atol=0.03, rtol=0)
    colder = prior_sample(50_000, 3, temperature=0.5, generator=_gen(2), mean=mean, cov=cov)
    torch.testing.assert_close(colder - mean, 0.5 * (z - mean), atol=1e-5, rtol=1e-5)


def test_singular_covariance_and_numpy_inputs_work():
    direction = np.array([3.0, 4.0]) / 5
    cov = np.outer(direction, direction)  # rank one: samples lie on a line through the mean
    z = prior_sample(1000, 2, generator=_gen(), mean=np.zeros(2), cov=cov)
    assert torch.isfinite(z).all()
    off_line = z[:, 0] * 4 - z[:, 1] * 3
    assert off_line.abs().max() < 1e-4
    assert abs(z.std(0).norm().item() - 1) < 0.1


@pytest.mark.parametrize(
    ("call", "pattern"),
    [
        (lambda: prior_sample(3, 0), "code_size >= 1"),
        (lambda: prior_sample(3, 2, temperature=-1), "temperature must be >= 0"),
        (lambda: prior_sample(3, 2, mean=torch.zeros(3)), r"mean must have shape \[2\]"),
        (lambda: prior_sample(3, 2, cov=torch.eye(3)), r"cov must have shape \[2, 2\]"),
        (lambda: path(torch.zeros(2), torch.ones(2), 0), "steps must be at least 1"),
    ],
)
def test_bad_arguments_say_what_is_allowed(call, pattern):
    with pytest.raises(ValueError, match=pattern):
        call()


def test_lerp_endpoints_midpoint_and_many_t():
    z0, z1 = torch.tensor([0.0, 2.0]), torch.tensor([4.0, -2.0])
    torch.testing.assert_close(lerp(z0, z1, 0.0), z0)
    torch.testing.assert_close(lerp(z0, z1, 1.0), z1)
    torch.testing.assert_close(lerp(z0, z1, 0.5), torch.tensor([2.0, 0.0]))
    assert lerp(z0, z1, torch.linspace(0, 1, 7)).shape == (7, 2)


def _angle(a, b):
    cos = (a * b).sum(-1) / (a.norm(dim=-1) * b.norm(dim=-1))
    return torch.arccos(cos.clamp(-1, 1))


def test_slerp_endpoints_keep_equal_norms_and_turn_evenly():
    z0 = torch.tensor([3.0, 0.0, 4.0])
    z1 = torch.tensor([0.0, 5.0, 0.0])
    torch.testing.assert_close(slerp(z0, z1, 0.0), z0)
    torch.testing.assert_close(slerp(z0, z1, 1.0), z1)
    codes = slerp(z0, z1, torch.linspace(0, 1, 11))
    torch.testing.assert_close(codes.norm(dim=-1), torch.full((11,), 5.0))
    steps = _angle(codes[:-1], codes[1:])
    torch.testing.assert_close(steps, torch.full((10,), math.pi / 2 / 10))
    # lerp cuts the corner: its midpoint is shorter
    assert lerp(z0, z1, 0.5).norm() < 5.0 - 1


def test_slerp_goes_linearly_in_norm_between_different_norms():
    z0, z1 = torch.tensor([1.0, 0.0]), torch.tensor([0.0, 3.0])
    t = torch.linspace(0, 1, 5)
    torch.testing.assert_close(slerp(z0, z1, t).norm(dim=-1), 1 + 2 * t)


def test_slerp_of_nearly_parallel_codes_is_finite_and_close_to_lerp():
    z0 = torch.tensor([1.0, 2.0, 3.0])
    for z1 in (z0.clone(), z0 * 2, z0 + 1e-7):
        codes = slerp(z0, z1, torch.linspace(0, 1, 5))
        assert torch.isfinite(codes).all()
        torch.testing.assert_close(codes, lerp(z0, z1, torch.linspace(0, 1, 5)))


def test_slerp_of_opposite_codes_turns_through_an_orthogonal_direction():
    z0 = torch.tensor([1.0, 2.0, 2.0])
    codes = slerp(z0, -z0, torch.linspace(0, 1, 9))
    assert torch.isfinite(codes).all()
    torch.testing.assert_close(codes[0], z0)
    torch.testing.assert_close(codes[-1], -z0, atol=1e-5, rtol=0)
    torch.testing.assert_close(codes.norm(dim=-1), torch.full((9,), 3.0))
    assert abs(torch.dot(codes[4], z0).item()) < 1e-5  # halfway is orthogonal to both


def test_slerp_from_the_origin_falls_back_to_lerp():
    z0, z1 = torch.zeros(3), torch.tensor([1.0, 1.0, 0.0])
    torch.testing.assert_close(slerp(z0, z1, 0.25), 0.25 * z1)


def test_slerp_works_on_batches_of_codes():
    z0, z1 = torch.randn(4, 6, generator=_gen()), torch.randn(4, 6, generator=_gen(1))
    codes = slerp(z0, z1, torch.linspace(0, 1, 3))
    assert codes.shape == (3, 4, 6)
    torch.testing.assert_close(codes[0], z0)
    torch.testing.assert_close(codes[-1], z1)


@pytest.mark.parametrize("spherical", [False, True])
def test_path_runs_from_one_code_to_the_other(spherical):
    z0, z1 = torch.tensor([1.0, 0.0]), torch.tensor([0.0, 1.0])
    codes = path(z0, z1, 6, spherical=spherical)
    assert codes.shape == (6, 2)
    torch.testing.assert_close(codes[0], z0)
    torch.testing.assert_close(codes[-1], z1)
    norms = codes.norm(dim=-1)
    if spherical:
        torch.testing.assert_close(norms, torch.ones(6))
    else:
        assert norms[1:-1].max() < 1
    assert path(z0, z1, 1, spherical=spherical).shape == (1, 2)
