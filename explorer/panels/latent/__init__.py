"""The latent map panel: `panel` (the widget), `work` (its Qt-free encoding and axes maths)."""

from explorer.panels.latent.panel import LatentPanel

__all__ = ["LatentPanel"]
