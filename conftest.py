"""Test configuration shared by every test: Qt offscreen, one torch thread, a fresh home."""

import gc
import os
import sys

os.environ["QT_QPA_PLATFORM"] = "offscreen"
os.environ.setdefault("OMP_NUM_THREADS", "1")  # also for the subprocesses tests start

import pytest  # noqa: E402
import torch  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

# The test models are tiny: extra torch and BLAS threads only wait on each other.
torch.set_num_threads(1)
threadpool_limits(1)


def pytest_collection_modifyitems(config, items):
    """Tests marked cuda run only where torch sees a CUDA device."""
    if torch.cuda.is_available():
        return
    skip = pytest.mark.skip(reason="no CUDA device here")
    for item in items:
        if "cuda" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path, monkeypatch):
    """Settings, recovery files and the dataset cache go to a fresh folder per test."""
    home = tmp_path / "le-home"
    home.mkdir()
    monkeypatch.setenv("LATENT_EXPLORER_HOME", str(home))
    return home


@pytest.fixture(autouse=True)
def _collect_on_the_main_thread():
    """Free the test's Qt objects in cycles here, on the GUI thread: a collection that a later
    test's job thread started would destroy them there and deadlock Qt (run_app does the same
    with pyqtgraph's GarbageCollector)."""
    yield
    if "PySide6" in sys.modules:
        gc.collect()
