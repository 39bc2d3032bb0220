"""The session: the model the panels show, its dataset and history, and change signals."""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import torch
from PySide6.QtCore import QObject, Signal

from trainer.data.base import as_float


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
    """[N, C, H, W] tensor (floats, or uint8 pixels) -> float32 [N, H, W] (grey) or
    [N, H, W, C], clipped to [0, 1]."""
    arr = as_float(x.detach().cpu()).clamp(0, 1).numpy()
    return arr[:, 0] if arr.shape[1] == 1 else arr.transpose(0, 2, 3, 1)


class Session(QObject):
    """The model the panels show: an eval-mode CPU copy, never the one being trained.

    Its state is read through properties and changed only through its methods, each of
    which emits the signal that says what changed.
    """

    modelChanged = Signal()  # new model or dataset: panels rebuild
    weightsChanged = Signal()  # same architecture, new weights: panels redraw
    historyChanged = Signal()  # the loss history was replaced
    historyExtended = Signal(object)  # rows appended to it: {"train": {col: [...]}, "val": ...}
    fileChanged = Signal()  # the file it was opened from or saved to, or its unsaved state
    # Requests between panels, routed through the session so panels never know each other.
    trainRequested = Signal(object)  # a ModelConfig (or (ModelConfig, dataset name)): the
    # window sets the form to it (and that dataset) and trains
    openRequested = Signal(object)  # a checkpoint path: the window opens it as File > Open does
    codeRequested = Signal(object)  # np.ndarray [code_size]: show this code on the latent map
    examplePicked = Signal(int)  # a test-split index the person clicked on the latent map
    clustersChanged = Signal(object)  # np.ndarray [N_test] of cluster ids, or None for labels
    runsChanged = Signal()  # the window's run list changed (`runs`: its RunStore)

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._model: torch.nn.Module | None = None
        self._dataset = None
        self._history: dict = {}
        self._train_config = None
        self._path: Path | None = None
        self._dirty = False
        self._version = 0
        self._state: dict | None = None  # the weights as a dict nobody changes (see snapshot)
        self.runs = None  # the window's explorer.training.run_store.RunStore, for comparisons

    # -- what it holds (read-only) -----------------------------------------------------------
    @property
    def model(self) -> torch.nn.Module | None:
        return self._model

    @property
    def dataset(self):
        return self._dataset

    @property
    def config(self):
        return None if self._model is None else self._model.config

    @property
    def history(self) -> dict:
        """The loss history: {"train": {"step": [...], term: [...]}, "val": {...}}."""
        return self._history

    @property
    def train_config(self):
        return self._train_config

    @property
    def path(self) -> Path | None:
        """The file the model was opened from or last saved to (None: never saved)."""
        return self._path

    @property
    def dirty(self) -> bool:
        """Whether the weights differ from the file at `path` (or there is no file)."""
        return self._dirty

    @property
    def version(self) -> int:
        """Counts the models and weights shown: background results carry it."""
        return self._version

    # -- changes -------------------------------------------------------------------------------
    def set_model(self, model, dataset, history=None, train_config=None, path=None) -> None:
        """Show a copy of `model` (opened from `path`, or unsaved when None) on `dataset`."""
        model = copy.deepcopy(model).to("cpu").eval()
        for p in model.parameters():
            p.requires_grad_(False)
        self._model, self._dataset = model, dataset
        self._history = _own(history)
        self._train_config = train_config
        self._path = None if path is None else Path(path)
        self._dirty = path is None
        self._state = None
        self._version += 1
        self.modelChanged.emit()
        self.fileChanged.emit()

    def apply_weights(self, state_dict: dict[str, torch.Tensor]) -> None:
        """Load a training snapshot into the display copy and tell the panels to redraw."""
        if self._model is None:
            return
        self._model.load_state_dict(state_dict)
        self._state = state_dict  # the caller hands it over: it is not changed afterwards
        self._version += 1
        self.weightsChanged.emit()
        if not self._dirty:
            self._dirty = True
            self.fileChanged.emit()

    def set_history(self, history: dict | None) -> None:
        """Replace the loss history."""
        self._history = _own(history)
        self.historyChanged.emit()

    def extend_history(self, rows: dict) -> None:
        """Append rows ({"train": {"step": [...], term: [...]}, "val": ...}) to the history."""
        for split, columns in rows.items():
            for key, values in columns.items():
                self._history.setdefault(split, {}).setdefault(key, []).extend(values)
        self.historyExtended.emit(rows)

    def mark_saved(self, path) -> None:
        """The model was just saved to `path`: it is the model's file now, nothing unsaved."""
        self._path, self._dirty = Path(path), False
        self.fileChanged.emit()

    # -- reading the model ---------------------------------------------------------------------
    def snapshot(self) -> tuple[int, dict]:
        """(version, the display model's weights) for work off the GUI thread: a dict whose
        tensors nobody changes later (no copy when they came from apply_weights)."""
        if self._state is None:
            self._state = {k: v.detach().clone() for k, v in self._model.state_dict().items()}
        return self._version, self._state

    @torch.no_grad()
    def encode(self, x: torch.Tensor | np.ndarray) -> np.ndarray:
        return self._model.encode(as_float(torch.as_tensor(x))).numpy()

    @torch.no_grad()
    def decode(self, z) -> np.ndarray:
        """Codes [N, D] -> images [N, H, W] or [N, H, W, C], float in [0, 1]."""
        z = torch.as_tensor(np.asarray(z, dtype=np.float32)).reshape(-1, self._model.code_size)
        return to_images(self._model.decode(z))

    @torch.no_grad()
    def reconstruct(self, x: torch.Tensor) -> np.ndarray:
        return to_images(self._model.decode(self._model.encode(as_float(torch.as_tensor(x)))))


def _own(history: dict | None) -> dict:
    """A copy of a loss history that nobody else appends to."""
    return {
        split: {k: list(v) for k, v in (cols or {}).items()}
        for split, cols in (history or {}).items()
    }
