"""The session: the model the panels show, its dataset and history, and change signals."""

from __future__ import annotations

import copy

import numpy as np
import torch
from PySide6.QtCore import QObject, Signal


def model_from(config, state: dict | None):
    """An eval-mode CPU model of `config`: `state` loaded without a random init first (the meta
    device), or freshly initialised when there are no weights."""
    from models import build

    if state is None:
        return build(config).eval()
    with torch.device("meta"):
        model = build(config)
    model.load_state_dict(state, assign=True)
    return model.eval()


def use_one_gui_thread() -> None:
    """Run the window's torch work (panels' encodes and decodes) on one thread: training has
    its own process and cores."""
    torch.set_num_threads(1)


def to_images(x: torch.Tensor) -> np.ndarray:
    """[N, C, H, W] tensor -> float32 [N, H, W] (grey) or [N, H, W, C], clipped to [0, 1]."""
    arr = x.detach().to("cpu", torch.float32).clamp(0, 1).numpy()
    return arr[:, 0] if arr.shape[1] == 1 else arr.transpose(0, 2, 3, 1)


class Session(QObject):
    """Owns an eval-mode CPU copy of the model; never the one being trained."""

    modelChanged = Signal()  # new model or dataset: panels rebuild
    weightsChanged = Signal()  # same architecture, new weights: panels redraw
    historyChanged = Signal()
    # Requests between panels, routed through the session so panels never know each other.
    trainRequested = Signal(object)  # a ModelConfig: the window sets the form to it and trains
    codeRequested = Signal(object)  # np.ndarray [code_size]: show this code on the latent map
    examplePicked = Signal(int)  # a test-split index the person clicked on the latent map
    clustersChanged = Signal(object)  # np.ndarray [N_test] of cluster ids, or None for labels

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.model: torch.nn.Module | None = None
        self.dataset = None
        self.history: dict = {}
        self.train_config = None
        self.path = None
        self.dirty = False  # weights not yet saved to a file the person chose
        self.version = 0  # counts models and weights shown: background results carry it
        self._codes: np.ndarray | None = None
        self._state: dict | None = None  # the weights as a dict nobody changes (see snapshot)

    @property
    def config(self):
        return None if self.model is None else self.model.config

    def set_model(self, model, dataset, history=None, train_config=None, path=None) -> None:
        model = copy.deepcopy(model).to("cpu").eval()
        for p in model.parameters():
            p.requires_grad_(False)
        self.model, self.dataset = model, dataset
        self.history = history or {}
        self.train_config, self.path = train_config, path
        self.dirty = path is None
        self._codes = self._state = None
        self.version += 1
        self.modelChanged.emit()

    def apply_weights(self, state_dict: dict[str, torch.Tensor]) -> None:
        """Load a training snapshot into the display copy and tell the panels to redraw."""
        if self.model is None:
            return
        self.model.load_state_dict(state_dict)
        self.dirty = True
        self._codes = None
        self._state = state_dict  # the caller hands it over: it is not changed afterwards
        self.version += 1
        self.weightsChanged.emit()

    def snapshot(self) -> tuple[int, dict]:
        """(version, the display model's weights) for work off the GUI thread: a dict whose
        tensors nobody changes later (no copy when they came from apply_weights)."""
        if self._state is None:
            self._state = {k: v.detach().clone() for k, v in self.model.state_dict().items()}
        return self.version, self._state

    def set_history(self, history: dict) -> None:
        self.history = history
        self.historyChanged.emit()

    def test_codes(self) -> np.ndarray:
        """Codes of the whole test split, cached until the weights change."""
        if self._codes is None:
            self._codes = self.encode(self.dataset.test_x)
        return self._codes

    @torch.no_grad()
    def encode(self, x: torch.Tensor | np.ndarray) -> np.ndarray:
        x = torch.as_tensor(x, dtype=torch.float32)
        return self.model.encode(x).numpy()

    @torch.no_grad()
    def decode(self, z) -> np.ndarray:
        """Codes [N, D] -> images [N, H, W] or [N, H, W, C], float in [0, 1]."""
        z = torch.as_tensor(np.asarray(z, dtype=np.float32)).reshape(-1, self.model.code_size)
        return to_images(self.model.decode(z))

    @torch.no_grad()
    def reconstruct(self, x: torch.Tensor) -> np.ndarray:
        return to_images(self.model.decode(self.model.encode(x)))
