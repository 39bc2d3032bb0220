"""The Colourise panel: `panel` (the widget and its methods), `controls` (its layout)."""

from explorer.panels.colourise.panel import ColourisePanel

__all__ = ["ColourisePanel"]
