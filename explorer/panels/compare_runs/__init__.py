"""Two runs side by side (panel.py; the map math in frame.py, the widgets in view.py)."""

from explorer.panels.compare_runs.panel import CompareRunsPanel

__all__ = ["CompareRunsPanel"]
