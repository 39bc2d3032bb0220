"""Procedural sprites with known factors: square, ellipse, heart, triangle.

`generate` gives grey sprites on black; `generate_colour` the same sprites in colour: each
shape has its own colour, on a background whose hue runs from blue at the top to green at
the bottom, the same for every image. Every sprite colour has one BT.601 luminance and
the whole background another, so the grey version of a colour sprite is the grey sprite
rescaled: its colours can be told only from what the shape is and where a pixel lies.
"""

from __future__ import annotations

import functools
import math

import torch

from models.colour import from_ycbcr
from trainer.data.base import SPLIT_SEED, Dataset, register, to_pixels

SHAPES = ("square", "ellipse", "heart", "triangle")
FACTORS = ("shape", "scale", "rotation", "x", "y")
SCALE = (0.3, 0.5)  # half-extent of a sprite, in units of half the image
POSITION = 0.35  # centres lie in [-POSITION, POSITION] on both axes
CHUNK = 1024  # images rasterised at once
SPRITE_LUMA, BACKGROUND_LUMA = 0.7, 0.35  # BT.601 luminance of every sprite / background
CHROMA = 0.16  # distance of each sprite colour from grey in the (Cb, Cr) plane
SKY, GROUND = (0.16, -0.05), (-0.12, -0.10)  # background (Cb, Cr) offsets at top and bottom


# Each shape is a signed distance (negative inside) in sprite-local units, first-order
# (f / |grad f|) where no closed form is handy: good enough for a one-pixel soft edge.


def _square(u: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    return torch.maximum(u.abs(), v.abs()) - 0.8


def _ellipse(u: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    a2, b2 = 1.0, 0.36
    f = u.square() / a2 + v.square() / b2 - 1
    grad = torch.hypot(2 * u / a2, 2 * v / b2)
    return f / (grad + 1e-6)


def _heart(u: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    # A diamond with two discs on its upper sides, point down, centred on its box.
    h = 0.83  # half-diagonal of the diamond
    w = v - 0.085
    a, b = (u + w) / math.sqrt(2), (u - w) / math.sqrt(2)
    qa, qb = a.abs() - h / math.sqrt(2), b.abs() - h / math.sqrt(2)
    outside = torch.hypot(qa.clamp(min=0), qb.clamp(min=0))
    diamond = outside + torch.maximum(qa, qb).clamp(max=0)
    discs = torch.hypot(u.abs() - h / 2, w + h / 2) - h / math.sqrt(2)
    return torch.minimum(diamond, discs)


def _triangle(u: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    # Equilateral, circumradius 1, apex up: the farthest of three edges at apothem 0.5.
    angles = [math.pi / 2 + k * 2 * math.pi / 3 for k in range(3)]
    edges = [u * math.cos(a) + v * math.sin(a) for a in angles]
    return torch.maximum(torch.maximum(edges[0], edges[1]), edges[2]) - 0.5


DISTANCES = (_square, _ellipse, _heart, _triangle)


def _grid(size: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Pixel centres in [-1, 1], shape [size, size]; v grows downwards like rows."""
    axis = (torch.arange(size, dtype=torch.float32) + 0.5) / size * 2 - 1
    v, u = torch.meshgrid(axis, axis, indexing="ij")
    return u, v


def render(factors: dict[str, torch.Tensor], size: int = 32) -> torch.Tensor:
    """Rasterise sprites from their factors into float32 [N, 1, size, size] in [0, 1]."""
    out = torch.empty(len(factors["shape"]), 1, size, size)
    gu, gv = _grid(size)
    pixel = 2 / size
    for index, distance in enumerate(DISTANCES):
        rows = (factors["shape"] == index).nonzero().flatten()
        for part in rows.split(CHUNK):
            scale = factors["scale"][part].view(-1, 1, 1)
            cos = torch.cos(factors["rotation"][part]).view(-1, 1, 1)
            sin = torch.sin(factors["rotation"][part]).view(-1, 1, 1)
            du = gu - factors["x"][part].view(-1, 1, 1)
            dv = gv - factors["y"][part].view(-1, 1, 1)
            # Rotate the grid by -rotation and divide by scale: sprite-local coordinates.
            u = (cos * du + sin * dv) / scale
            v = (cos * dv - sin * du) / scale
            # Coverage of a pixel by the shape from the distance of its centre to the edge.
            edge = distance(u, v) * scale / pixel
            out[part, 0] = (0.5 - edge).clamp_(0, 1)
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


def _rgb(luma: torch.Tensor, cb: torch.Tensor, cr: torch.Tensor) -> torch.Tensor:
    """RGB [N, 3, 1, 1] from luminance and chroma offsets (from grey) given per colour."""
    view = (-1, 1, 1, 1)
    return from_ycbcr(luma.view(view), (0.5 + cb).view(view), (0.5 + cr).view(view)).clamp(0, 1)


def _sprite_colours() -> torch.Tensor:
    """One RGB colour per shape [len(SHAPES), 3]: one luminance, hues a quarter turn apart."""
    angles = torch.tensor([math.pi / 4 + k * math.pi / 2 for k in range(len(SHAPES))])
    luma = torch.full_like(angles, SPRITE_LUMA)
    return _rgb(luma, CHROMA * torch.cos(angles), CHROMA * torch.sin(angles)).view(-1, 3)


def background(size: int = 32) -> torch.Tensor:
    """The background [3, size, size]: one luminance, chroma from SKY (top) to GROUND (bottom)."""
    t = (torch.arange(size, dtype=torch.float32) + 0.5) / size
    cb = SKY[0] + (GROUND[0] - SKY[0]) * t
    cr = SKY[1] + (GROUND[1] - SKY[1]) * t
    rows = _rgb(torch.full_like(t, BACKGROUND_LUMA), cb, cr).view(size, 3)
    return rows.T.reshape(3, size, 1).expand(3, size, size).contiguous()


SPRITE_COLOURS = _sprite_colours()


def colour(grey: torch.Tensor, shape: torch.Tensor) -> torch.Tensor:
    """Grey sprites [N, 1, H, W] (coverage in [0, 1]) in their shape's colours on the
    background, [N, 3, H, W]."""
    sprite = SPRITE_COLOURS[shape].view(-1, 3, 1, 1)
    ground = background(grey.shape[-1])[None]
    return ground + (sprite - ground) * grey


def generate_colour(
    n: int, seed: int = 0, size: int = 32
) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """n colour sprites [n, 3, size, size] and their factors (the same ones `generate` draws)."""
    grey, factors = generate(n, seed, size)
    return colour(grey, factors["shape"]), factors


SHAPES_TRAIN, SHAPES_TEST = 6000, 1000


def dataset(name: str = "shapes", root=None) -> Dataset:
    """The sprites and their factors as a Dataset (the first SHAPES_TRAIN are the training
    split); shapes-colour paints the same sprites in colour."""
    make = generate_colour if name == "shapes-colour" else generate
    x, factors = make(SHAPES_TRAIN + SHAPES_TEST, seed=SPLIT_SEED)
    x = to_pixels(x)  # stored as uint8, like every catalogue dataset
    y, n = factors["shape"], SHAPES_TRAIN
    return Dataset(
        name, x[:n], x[n:], y[:n], y[n:], list(SHAPES),
        factors={k: v[n:] for k, v in factors.items()},
        train_factors={k: v[:n] for k, v in factors.items()},
    )  # fmt: skip


register("shapes", functools.partial(dataset, "shapes"), (1, 32, 32), SHAPES_TRAIN)
register("shapes-colour", functools.partial(dataset, "shapes-colour"), (3, 32, 32), SHAPES_TRAIN)
