"""The Compression panel: `panel` (the widget and its methods), `view` (its widgets)."""

from explorer.panels.compression.panel import CompressionPanel

__all__ = ["CompressionPanel"]
