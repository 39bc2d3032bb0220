"""Codes to decode: prior samples with a temperature, and paths between two codes."""

from __future__ import annotations

import torch
from torch import Tensor

PARALLEL_EPS = 1e-4  # below this sin(angle), slerp falls back to lerp (or rotates, if opposite)


def _normal(shape, generator: torch.Generator | None) -> Tensor:
    device = generator.device if generator is not None else None
    return torch.randn(shape, generator=generator, device=device)


def prior_sample(
    n: int,
    code_size: int,
    temperature: float = 1.0,
    generator: torch.Generator | None = None,
    mean=None,
    cov=None,
) -> Tensor:
    """n codes [n, code_size] from N(mean, temperature^2 * cov).

    Without mean and cov this is the VAE's prior N(0, I) scaled by the temperature. For
    models without a prior, pass the mean [D] and covariance [D, D] of a Gaussian fitted
    to their training codes (tensors or arrays); a covariance that is only positive
    semi-definite is handled through its eigendecomposition. The result is float32 on the
    mean's device (or the generator's, or the CPU).
    """
    if n < 0 or code_size < 1:
        raise ValueError(f"need n >= 0 and code_size >= 1, not n={n}, code_size={code_size}.")
    if temperature < 0:
        raise ValueError(f"temperature must be >= 0, not {temperature!r}.")
    eps = _normal((n, code_size), generator)
    device = eps.device
    if mean is not None:
        device = torch.as_tensor(mean).device
    eps = eps.to(device)
    if cov is not None:
        cov = torch.as_tensor(cov, dtype=torch.float64, device=device)
        if cov.shape != (code_size, code_size):
            raise ValueError(
                f"cov must have shape [{code_size}, {code_size}], not {list(cov.shape)}."
            )
        cov = 0.5 * (cov + cov.T)
        values, vectors = torch.linalg.eigh(cov)
        root = vectors * values.clamp_min(0).sqrt()  # root @ root.T == cov
        eps = eps @ root.T.to(eps.dtype)
    z = temperature * eps
    if mean is not None:
        mean = torch.as_tensor(mean, dtype=z.dtype, device=device)
        if mean.shape != (code_size,):
            raise ValueError(f"mean must have shape [{code_size}], not {list(mean.shape)}.")
        z = z + mean
    return z


def _codes(z0, z1) -> tuple[Tensor, Tensor]:
    z0, z1 = torch.as_tensor(z0), torch.as_tensor(z1)
    dtype = torch.promote_types(z0.dtype, z1.dtype)
    if not dtype.is_floating_point:
        dtype = torch.get_default_dtype()
    return torch.broadcast_tensors(z0.to(dtype), z1.to(device=z0.device, dtype=dtype))


def _t_like(t, z: Tensor) -> tuple[Tensor, bool]:
    """t as a tensor shaped to broadcast against z, and whether it adds a leading axis."""
    t = torch.as_tensor(t, dtype=z.dtype, device=z.device)
    if t.dim() == 0:
        return t, False
    if t.dim() != 1:
        raise ValueError(f"t must be a number or a 1-D sequence, not shape {list(t.shape)}.")
    return t.view(-1, *([1] * z.dim())), True


def lerp(z0: Tensor, z1: Tensor, t) -> Tensor:
    """(1 - t) z0 + t z1; t a number (same shape as z0) or 1-D [T] (adds a leading T axis)."""
    z0, z1 = _codes(z0, z1)
    t, _ = _t_like(t, z0)
    return z0 + t * (z1 - z0)


def slerp(z0: Tensor, z1: Tensor, t) -> Tensor:
    """Spherical interpolation along the last axis: the direction turns at constant speed
    on the great circle from z0's to z1's, and the norm goes linearly from |z0| to |z1|
    (so two codes of equal norm keep that norm). Nearly parallel codes fall back to lerp;
    nearly opposite ones turn through a fixed direction orthogonal to z0.
    """
    z0, z1 = _codes(z0, z1)
    t, _ = _t_like(t, z0)
    r0 = z0.norm(dim=-1, keepdim=True)
    r1 = z1.norm(dim=-1, keepdim=True)
    tiny = torch.finfo(z0.dtype).eps
    u0 = z0 / r0.clamp_min(tiny)
    u1 = z1 / r1.clamp_min(tiny)
    cos = (u0 * u1).sum(-1, keepdim=True).clamp(-1.0, 1.0)
    # For (nearly) opposite directions, the great circle is not unique: turn through
    # the unit vector orthogonal to u0 that is closest to the axis u0 is smallest along.
    axis = torch.zeros_like(u0).scatter_(-1, u0.abs().argmin(-1, keepdim=True), 1.0)
    ortho = axis - (axis * u0).sum(-1, keepdim=True) * u0
    ortho = ortho / ortho.norm(dim=-1, keepdim=True).clamp_min(tiny)
    opposite = cos < -1 + PARALLEL_EPS
    # Through the orthogonal vector the turn is two quarter circles: u0 -> ortho -> u1.
    angle = torch.arccos(cos)
    sin = torch.sin(angle)
    ok = sin > PARALLEL_EPS
    safe_sin = torch.where(ok, sin, torch.ones_like(sin))
    direction = (torch.sin((1 - t) * angle) * u0 + torch.sin(t * angle) * u1) / safe_sin
    half = torch.pi * t
    turned = torch.cos(half) * u0 + torch.sin(half) * ortho
    direction = torch.where(opposite, turned, direction)
    radius = r0 + t * (r1 - r0)
    spherical = direction * radius
    degenerate = (~ok & ~opposite) | (r0 <= tiny) | (r1 <= tiny)
    return torch.where(degenerate, z0 + t * (z1 - z0), spherical)


def path(z0: Tensor, z1: Tensor, steps: int, spherical: bool = False) -> Tensor:
    """steps codes [steps, D] from z0 to z1 inclusive (linear, or slerp if spherical)."""
    if steps < 1:
        raise ValueError(f"steps must be at least 1, not {steps!r}.")
    z0 = torch.as_tensor(z0)
    t = torch.linspace(0.0, 1.0, steps, dtype=z0.dtype, device=z0.device) if steps > 1 else [0.0]
    return (slerp if spherical else lerp)(z0, z1, t)
