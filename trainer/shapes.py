"""Procedural sprites with known factors: square, ellipse, heart, triangle."""

from __future__ import annotations

import math

import torch

SHAPES = ("square", "ellipse", "heart", "triangle")
FACTORS = ("shape", "scale", "rotation", "x", "y")
SCALE = (0.3, 0.55)  # half-extent of a sprite, in units of half the image
POSITION = 0.4  # centres lie in [-POSITION, POSITION] on both axes
SUPERSAMPLE = 4  # sub-pixels per pixel side, for anti-aliased edges
CHUNK = 512  # images rasterised at once


def _square(u: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    return torch.maximum(u.abs(), v.abs()) <= 0.8


def _ellipse(u: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    return u.square() + (v / 0.6).square() <= 1.0


def _heart(u: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    # The classic implicit heart (x^2 + y^2 - 1)^3 <= x^2 y^3, y up, centred on its box.
    x, y = u * 1.15, -v * 1.15 + 0.12
    return (x.square() + y.square() - 1).pow(3) <= x.square() * y.pow(3)


def _triangle(u: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    # Equilateral, circumradius 1, apex up: inside all three half-planes at apothem 0.5.
    inside = torch.ones_like(u, dtype=torch.bool)
    for k in range(3):
        angle = math.pi / 2 + k * 2 * math.pi / 3
        inside &= u * math.cos(angle) + v * math.sin(angle) <= 0.5
    return inside


MASKS = (_square, _ellipse, _heart, _triangle)


def _grid(size: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Sub-pixel centres in [-1, 1], shape [size*S, size*S]; v grows downwards like rows."""
    n = size * SUPERSAMPLE
    axis = (torch.arange(n, dtype=torch.float32) + 0.5) / n * 2 - 1
    v, u = torch.meshgrid(axis, axis, indexing="ij")
    return u, v


def render(factors: dict[str, torch.Tensor], size: int = 32) -> torch.Tensor:
    """Rasterise sprites from their factors into float32 [N, 1, size, size] in [0, 1]."""
    n = len(factors["shape"])
    out = torch.empty(n, 1, size, size)
    gu, gv = _grid(size)
    for start in range(0, n, CHUNK):
        part = slice(start, min(start + CHUNK, n))
        shape = factors["shape"][part]
        scale = factors["scale"][part].view(-1, 1, 1)
        cos = torch.cos(factors["rotation"][part]).view(-1, 1, 1)
        sin = torch.sin(factors["rotation"][part]).view(-1, 1, 1)
        du = gu - factors["x"][part].view(-1, 1, 1)
        dv = gv - factors["y"][part].view(-1, 1, 1)
        # Rotate the grid by -rotation and divide by scale: sprite-local coordinates.
        u = (cos * du + sin * dv) / scale
        v = (-sin * du + cos * dv) / scale
        inside = torch.zeros_like(u, dtype=torch.bool)
        for index, mask in enumerate(MASKS):
            rows = shape == index
            if rows.any():
                inside[rows] = mask(u[rows], v[rows])
        pixels = torch.nn.functional.avg_pool2d(inside.float().unsqueeze(1), SUPERSAMPLE)
        out[part] = pixels
    return out


def sample_factors(n: int, seed: int = 0) -> dict[str, torch.Tensor]:
    """Draw n sets of factors from a seeded generator: shape index, scale, rotation, x, y."""
    gen = torch.Generator().manual_seed(seed)
    return {
        "shape": torch.randint(len(SHAPES), (n,), generator=gen),
        "scale": SCALE[0] + (SCALE[1] - SCALE[0]) * torch.rand(n, generator=gen),
        "rotation": 2 * math.pi * torch.rand(n, generator=gen),
        "x": POSITION * (2 * torch.rand(n, generator=gen) - 1),
        "y": POSITION * (2 * torch.rand(n, generator=gen) - 1),
    }


def generate(n: int, seed: int = 0, size: int = 32) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """n sprites [n, 1, size, size] and their factors; the same seed gives the same images."""
    factors = sample_factors(n, seed)
    return render(factors, size), factors
