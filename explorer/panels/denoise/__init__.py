"""The denoise panel: `panel` (the widget and its methods), `controls` (its widgets' layout)."""

from explorer.panels.denoise.panel import DenoisePanel

__all__ = ["DenoisePanel"]
