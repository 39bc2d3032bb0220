"""The explorer panels, in the order the main window shows them.

Each entry of PANELS is (name, title, class); `MainWindow.panel(name)` returns the instance.
A panel is a `panels.base.Panel` built as `cls(session, parent=None)`; a new panel is one
module here and one line below. Panels never import each other: they talk through the
session's request signals (`codeRequested`, `examplePicked`, `clustersChanged`, ...).
"""

from explorer.panels.anomalies import AnomalyPanel
from explorer.panels.clusters import ClusterPanel
from explorer.panels.colourise import ColourisePanel
from explorer.panels.compare_runs import CompareRunsPanel
from explorer.panels.compression import CompressionPanel
from explorer.panels.denoise import DenoisePanel
from explorer.panels.features import FeaturePanel
from explorer.panels.interpolation import InterpolationPanel
from explorer.panels.latent import LatentPanel
from explorer.panels.pca import PcaPanel
from explorer.panels.samples import SamplePanel
from explorer.panels.traversal import TraversalPanel

PANELS: list[tuple[str, str, type]] = [
    ("latent", "Latent map", LatentPanel),
    ("interpolation", "Interpolation", InterpolationPanel),
    ("denoise", "Denoise", DenoisePanel),
    ("colourise", "Colourise", ColourisePanel),
    ("samples", "Samples", SamplePanel),
    ("compression", "Compression", CompressionPanel),
    # the analysis panels
    ("compare", "Compare with PCA", PcaPanel),
    ("anomalies", "Anomalies", AnomalyPanel),
    ("clusters", "Clusters", ClusterPanel),
    ("features", "Features", FeaturePanel),
    ("compare_runs", "Compare runs", CompareRunsPanel),
    ("traversal", "Traversals", TraversalPanel),
]
