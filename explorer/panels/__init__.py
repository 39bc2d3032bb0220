"""The explorer panels, in the order the main window shows them.

Each entry is (name, title, class); `MainWindow.panel(name)` returns the instance.
A panel is built as `cls(session, parent=None)`.
"""

PANELS: list[tuple[str, str, type]] = []

from explorer.panels.denoise import DenoisePanel  # noqa: E402
from explorer.panels.interpolation import InterpolationPanel  # noqa: E402
from explorer.panels.latent import LatentPanel  # noqa: E402
from explorer.panels.samples import SamplePanel  # noqa: E402

PANELS += [
    ("latent", "Latent map", LatentPanel),
    ("interpolation", "Interpolation", InterpolationPanel),
    ("denoise", "Denoise", DenoisePanel),
    ("samples", "Samples", SamplePanel),
]

from explorer.panels.anomalies import AnomalyPanel  # noqa: E402
from explorer.panels.clusters import ClusterPanel  # noqa: E402
from explorer.panels.features import FeaturePanel  # noqa: E402
from explorer.panels.pca import ComparePanel  # noqa: E402

PANELS += [
    ("compare", "Compare with PCA", ComparePanel),
    ("anomalies", "Anomalies", AnomalyPanel),
    ("clusters", "Clusters", ClusterPanel),
    ("features", "Features", FeaturePanel),
]
