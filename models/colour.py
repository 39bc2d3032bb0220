"""Colour conversions for colourisation: ITU-R BT.601 luminance and full-range YCbCr.

Plain tensor functions on images [N, 3, H, W] (RGB, values in [0, 1]). YCbCr is the
full-range BT.601 form JPEG uses: Y in [0, 1], Cb and Cr centred on 0.5.
"""

from __future__ import annotations

import torch
from torch import Tensor

LUMA = (0.299, 0.587, 0.114)  # ITU-R BT.601 weights of R, G and B
CB_SCALE = 0.5 / (1 - LUMA[2])  # Cb = 0.5 + CB_SCALE * (B - Y)
CR_SCALE = 0.5 / (1 - LUMA[0])  # Cr = 0.5 + CR_SCALE * (R - Y)


def _check_rgb(x: Tensor) -> None:
    if x.dim() != 4 or x.shape[1] != 3:
        raise ValueError(
            f"colour images must have shape [N, 3, H, W], not {list(x.shape)}: "
            "grey images have no colour to take away or compare."
        )


def luminance(x: Tensor) -> Tensor:
    """Y = 0.299 R + 0.587 G + 0.114 B, [N, 1, H, W]."""
    _check_rgb(x)
    weights = torch.tensor(LUMA, dtype=x.dtype, device=x.device).view(1, 3, 1, 1)
    return (x * weights).sum(1, keepdim=True)


def grey3(x: Tensor) -> Tensor:
    """The grey version of colour images, repeated in three channels [N, 3, H, W]."""
    return luminance(x).expand(-1, 3, -1, -1).contiguous()


def chroma(x: Tensor) -> Tensor:
    """The Cb and Cr planes of full-range BT.601 YCbCr, [N, 2, H, W], 0.5 for grey."""
    y = luminance(x)
    cb = 0.5 + CB_SCALE * (x[:, 2:3] - y)
    cr = 0.5 + CR_SCALE * (x[:, 0:1] - y)
    return torch.cat([cb, cr], 1)


def from_ycbcr(y: Tensor, cb: Tensor, cr: Tensor) -> Tensor:
    """RGB [N, 3, H, W] from full-range Y, Cb, Cr planes (each broadcastable), unclipped."""
    r = y + (cr - 0.5) / CR_SCALE
    b = y + (cb - 0.5) / CB_SCALE
    g = (y - LUMA[0] * r - LUMA[2] * b) / LUMA[1]
    return torch.cat(torch.broadcast_tensors(r, g, b), 1)
