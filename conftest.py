"""Test configuration shared by every test: Qt runs offscreen, each test gets its own home."""

import os

import pytest

os.environ["QT_QPA_PLATFORM"] = "offscreen"


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path, monkeypatch):
    """Settings, recovery files and the dataset cache go to a fresh folder per test."""
    home = tmp_path / "le-home"
    home.mkdir()
    monkeypatch.setenv("LATENT_EXPLORER_HOME", str(home))
    return home
