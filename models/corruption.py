"""Corruptions for denoising and for the canvas: plain tensor functions.

Every function takes images [N, C, H, W] (or one image [C, H, W]) with values in [0, 1]
and returns a new tensor of the same shape, dtype and device, clipped to [0, 1]. Each
call draws fresh randomness; pass a `torch.Generator` to make it repeatable (the
generator may live on the CPU while the images are on an accelerator).

Specs are "kind:level" strings, e.g. "gaussian:0.5", "salt_pepper:0.2", "mask:0.3",
"watermark:0.6"; see LEVELS for what the level means for each kind.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

# kind -> (lowest level, highest level, what the level is)
LEVELS: dict[str, tuple[float, float, str]] = {
    "gaussian": (0.0, 5.0, "the standard deviation of the added noise"),
    "salt_pepper": (0.0, 1.0, "the fraction of pixels set to 0 or 1"),
    "mask": (0.0, 1.0, "the fraction of pixels zeroed, in small blocks"),
    "watermark": (0.0, 1.0, "the opacity of the stamped strokes, block and text"),
}
KINDS = tuple(LEVELS)


def parse_noise(spec: str) -> tuple[str, float]:
    """'kind:level' -> (kind, level); ValueError with one sentence if it is not valid."""
    parts = spec.split(":") if isinstance(spec, str) else []
    if len(parts) != 2 or parts[0].strip() not in LEVELS:
        raise ValueError(
            f"noise must look like 'kind:level' with kind one of {', '.join(KINDS)} "
            f"(e.g. 'gaussian:0.5'), not {spec!r}."
        )
    kind = parts[0].strip()
    low, high, meaning = LEVELS[kind]
    try:
        level = float(parts[1])
    except ValueError:
        level = math.nan
    if not low <= level <= high:  # also refuses nan
        raise ValueError(
            f"noise level for {kind} ({meaning}) must be a number from {low:g} to {high:g}, "
            f"not {parts[1].strip()!r}."
        )
    return kind, level


def _batched(x: Tensor) -> tuple[Tensor, bool]:
    if x.dim() == 3:
        return x.unsqueeze(0), True
    if x.dim() == 4:
        return x, False
    raise ValueError(f"images must have shape [N, C, H, W] or [C, H, W], not {list(x.shape)}.")


def _rand(shape, generator: torch.Generator | None, like: Tensor, normal: bool = False) -> Tensor:
    """Uniform (or normal) numbers drawn on the generator's device, moved to like's device."""
    device = generator.device if generator is not None else like.device
    draw = torch.randn if normal else torch.rand
    return draw(shape, generator=generator, device=device).to(like.device, like.dtype)


def _finish(out: Tensor, squeeze: bool) -> Tensor:
    out = out.clamp(0.0, 1.0)
    return out.squeeze(0) if squeeze else out


def gaussian(x: Tensor, level: float, generator: torch.Generator | None = None) -> Tensor:
    """Add N(0, level^2) noise to every pixel and channel."""
    x4, squeeze = _batched(x)
    return _finish(x4 + level * _rand(x4.shape, generator, x4, normal=True), squeeze)


def salt_pepper(x: Tensor, level: float, generator: torch.Generator | None = None) -> Tensor:
    """Set a fraction `level` of pixel positions (all channels) to 0 or 1, half each."""
    x4, squeeze = _batched(x)
    n, _, h, w = x4.shape
    hit = _rand((n, 1, h, w), generator, x4) < level
    salt = (_rand((n, 1, h, w), generator, x4) < 0.5).to(x4.dtype)
    return _finish(torch.where(hit, salt, x4), squeeze)


def mask(x: Tensor, level: float, generator: torch.Generator | None = None) -> Tensor:
    """Zero a fraction `level` of the image in square blocks (1 px on 8 x 8, 3-4 px on 28-32)."""
    x4, squeeze = _batched(x)
    n, _, h, w = x4.shape
    block = max(1, min(h, w) // 8)
    gh, gw = -(-h // block), -(-w // block)
    keep = _rand((n, 1, gh, gw), generator, x4) >= level
    keep = keep.repeat_interleave(block, 2).repeat_interleave(block, 3)[:, :, :h, :w]
    return _finish(x4 * keep, squeeze)


# A 3 x 5 bitmap font for the watermark's text-like pattern (rows top to bottom).
_GLYPHS = (
    "111101111101101",  # A
    "111100100100111",  # C
    "111100111100111",  # E
    "101101111101101",  # H
    "100100100100111",  # L
    "111101101101111",  # O
    "111101111100100",  # P
    "111100111001111",  # S
    "111010010010010",  # T
    "101101101101010",  # V
    "101101010101101",  # X
    "101101010010010",  # Y
)
_GLYPH_ROWS, _GLYPH_COLS, _TEXT_LENGTH = 5, 3, 4


def _segment_distance(py: Tensor, px: Tensor, ends: Tensor) -> Tensor:
    """Distance from pixel centres [H, W] to segments ends [N, K, 4] (y0, x0, y1, x1)."""
    y0, x0, y1, x1 = (ends[..., i, None, None] for i in range(4))
    dy, dx = y1 - y0, x1 - x0
    t = ((py - y0) * dy + (px - x0) * dx) / (dy * dy + dx * dx).clamp_min(1e-6)
    t = t.clamp(0.0, 1.0)
    return torch.hypot(py - (y0 + t * dy), px - (x0 + t * dx))  # [N, K, H, W]


def _text(py: Tensor, px: Tensor, draws: Tensor, h: int, w: int) -> Tensor:
    """A row of random glyphs at a random place, nearest-neighbour scaled: [N, H, W] in {0, 1}."""
    n = draws.shape[0]
    font = torch.tensor([[int(c) for c in g] for g in _GLYPHS], device=py.device, dtype=py.dtype)
    font = font.view(len(_GLYPHS), _GLYPH_ROWS, _GLYPH_COLS)
    scale = max(1, min(h, w) // 16)
    cell = _GLYPH_COLS + 1  # one blank column between glyphs
    text_w, text_h = (_TEXT_LENGTH * cell - 1) * scale, _GLYPH_ROWS * scale
    oy = (draws[:, 0] * (h - text_h // 2)).floor() - text_h // 4
    ox = (draws[:, 1] * (w - text_w // 2)).floor() - text_w // 4
    chars = (draws[:, 2:] * len(_GLYPHS)).long().clamp_max(len(_GLYPHS) - 1)  # [N, L]
    gy = torch.div(py[None] - oy[:, None, None], scale, rounding_mode="floor").long()
    gx = torch.div(px[None] - ox[:, None, None], scale, rounding_mode="floor").long()
    inside = (gy >= 0) & (gy < _GLYPH_ROWS) & (gx >= 0) & (gx < _TEXT_LENGTH * cell - 1)
    slot, col = (gx // cell).clamp(0, _TEXT_LENGTH - 1), gx % cell
    inside &= col < _GLYPH_COLS
    glyph = chars.gather(1, slot.view(n, -1)).view_as(slot)
    value = font[glyph, gy.clamp(0, _GLYPH_ROWS - 1), col.clamp(0, _GLYPH_COLS - 1)]
    return value * inside


def watermark(x: Tensor, level: float, generator: torch.Generator | None = None) -> Tensor:
    """Stamp two random strokes, a block and a line of text-like glyphs with opacity `level`.

    The stamp is white on dark images and black on light ones (by each image's mean), so it
    is always visible; the block is stamped at half the opacity of the strokes and text.
    """
    x4, squeeze = _batched(x)
    n, _, h, w = x4.shape
    draws = _rand(
        (n, 12 + 2 + _TEXT_LENGTH), generator, x4
    )  # every random number this call uses, in one draw
    py = torch.arange(h, device=x4.device, dtype=x4.dtype)[:, None] + 0.5
    px = torch.arange(w, device=x4.device, dtype=x4.dtype)[None, :] + 0.5
    size = x4.new_tensor([h, w, h, w])
    ends = draws[:, :8].view(n, 2, 4) * size
    width = max(0.75, min(h, w) / 20)
    strokes = (width + 0.5 - _segment_distance(py, px, ends)).clamp(0.0, 1.0).amax(1)
    side = (0.15 + 0.2 * draws[:, 8:10]) * size[:2]
    top = draws[:, 10:12] * (size[:2] - side)
    block = (
        (py >= top[:, 0, None, None])
        & (py < (top[:, 0] + side[:, 0])[:, None, None])
        & (px >= top[:, 1, None, None])
        & (px < (top[:, 1] + side[:, 1])[:, None, None])
    ).to(x4.dtype)
    text = _text(py, px, draws[:, 12:], h, w)
    stamp = torch.maximum(torch.maximum(strokes, 0.5 * block), text)[:, None] * level
    ink = (x4.mean(dim=(1, 2, 3)) < 0.5).to(x4.dtype)[:, None, None, None]
    return _finish(x4 * (1 - stamp) + ink * stamp, squeeze)


CORRUPTIONS = {
    "gaussian": gaussian,
    "salt_pepper": salt_pepper,
    "mask": mask,
    "watermark": watermark,
}


def corrupt(x: Tensor, spec: str, generator: torch.Generator | None = None) -> Tensor:
    """Apply the corruption a "kind:level" spec names; fresh on every call unless seeded."""
    kind, level = parse_noise(spec)
    return CORRUPTIONS[kind](x, level, generator)
