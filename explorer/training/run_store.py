"""The runs the window knows: trained here (kept in the per-user folder) or opened from a file.

Runs trained in the app live in `trainer.paths.home() / "runs"`: one safetensors checkpoint
each (trainer.checkpoint) and `index.json`, a small list of what the run list shows (name,
dataset, model, final figures, when). Opened checkpoints are listed for the session only
(the file is the person's). Removing a run takes it out of the index at once; its file stays
until `purge()` (the window closes), so `undo()` can bring it back in the same session.
No Qt here: the run list widget (run_list.py) shows a `RunStore`.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from trainer import checkpoint, paths
from trainer.files import write_atomic

INDEX = "index.json"
FORMAT = 1


@dataclass
class RunRecord:
    """One line of the run list."""

    name: str
    path: str  # its checkpoint
    dataset: str
    model: str  # "mlp vae, code 2"
    figures: dict = field(default_factory=dict)  # train_loss, val_loss, steps, epochs, seconds
    when: float = 0.0  # seconds since the epoch: when it finished (opened: the file's time)
    kept: bool = False  # trained here: in the per-user folder, back at the next start
    history: dict | None = field(default=None, repr=False, compare=False)  # read when asked

    def to_json(self) -> dict:
        out = asdict(self)
        out.pop("history")
        out["path"] = Path(self.path).name  # kept runs live beside the index
        return out


def describe(config) -> str:
    return f"{config.backbone} {config.objective}, code {config.code_size}"


def figures_of(history: dict | None, seconds: float = 0.0) -> dict:
    """The final figures of a loss history: last train and validation loss, steps, epochs."""
    train = (history or {}).get("train") or {}
    val = (history or {}).get("val") or {}
    out = {}
    if train.get("loss"):
        out["train_loss"] = float(train["loss"][-1])
    if val.get("loss"):
        out["val_loss"] = float(val["loss"][-1])
    if train.get("step"):
        out["steps"] = int(train["step"][-1])
    if val.get("epoch"):
        out["epochs"] = int(val["epoch"][-1])
    if seconds:
        out["seconds"] = round(float(seconds), 1)
    return out


class RunStore:
    """The run list's data: `records` oldest first, the kept ones mirrored in index.json."""

    def __init__(self, folder: Path | None = None) -> None:
        self.folder = Path(folder) if folder is not None else paths.home() / "runs"
        self.records: list[RunRecord] = []
        self.removed: list[tuple[int, RunRecord]] = []  # (position, record), newest last
        self.next = 1
        self.problem = ""  # one sentence when the index could not be read or written
        self.lock = threading.Lock()  # a finished run is listed from a worker thread
        self._read()

    # -- reading -----------------------------------------------------------------------------
    def names(self) -> list[str]:
        return [r.name for r in list(self.records)]

    def get(self, name: str) -> RunRecord:
        for record in self.records:
            if record.name == name:
                return record
        raise KeyError(f"No run is called {name!r}; the runs are: {', '.join(self.names())}.")

    def find_path(self, path) -> RunRecord | None:
        target = Path(path).resolve()
        return next((r for r in self.records if Path(r.path).resolve() == target), None)

    def history(self, name: str) -> dict:
        """The run's loss history (read from its checkpoint the first time)."""
        record = self.get(name)
        if record.history is None:
            try:
                record.history = checkpoint.load(record.path).history
            except checkpoint.CheckpointError:
                record.history = {}
        return record.history

    # -- adding --------------------------------------------------------------------------------
    def reserve(self) -> tuple[str, Path]:
        """A name and checkpoint path for a new trained run."""
        name, self.next = f"run {self.next}", self.next + 1
        return name, self.folder / f"{name.replace(' ', '-')}.safetensors"

    def save_trained(self, name, path, model, *, dataset, history, train_config, seconds=0.0):
        """Write `model` (with its history) to `path` and list it as run `name`; meant for a
        worker thread (the list changes under a lock). CheckpointError on failure."""
        checkpoint.save(path, model, train_config=train_config, dataset=dataset, history=history)
        record = RunRecord(
            name, str(path), dataset, describe(model.config), figures_of(history, seconds),
            time.time(), kept=True, history=history,
        )  # fmt: skip
        return self.add(record)

    def add(self, record: RunRecord) -> RunRecord:
        with self.lock:
            self.records.append(record)
            if record.kept:
                self._write()
        return record

    def add_opened(self, path, ckpt) -> RunRecord:
        """List an opened checkpoint (once per file), for this session."""
        known = self.find_path(path)
        if known is not None:
            return known
        path = Path(path)
        name, n = path.stem, 2
        while name in self.names():
            name, n = f"{path.stem} ({n})", n + 1
        try:
            when = path.stat().st_mtime
        except OSError:
            when = 0.0
        record = RunRecord(
            name, str(path), ckpt.dataset, describe(ckpt.model_config), figures_of(ckpt.history),
            when, kept=False, history=ckpt.history,
        )  # fmt: skip
        return self.add(record)

    # -- removing --------------------------------------------------------------------------
    def remove(self, name: str) -> RunRecord:
        with self.lock:
            record = self.get(name)
            position = self.records.index(record)
            self.records.remove(record)
            self.removed.append((position, record))
            if record.kept:
                self._write()
        return record

    def undo(self) -> RunRecord | None:
        """Bring back the run removed last (None when there is none)."""
        if not self.removed:
            return None
        with self.lock:
            position, record = self.removed.pop()
            self.records.insert(min(position, len(self.records)), record)
            if record.kept:
                self._write()
        return record

    def purge(self) -> None:
        """Delete the files of the kept runs removed this session (no undo after this)."""
        for _position, record in self.removed:
            if record.kept:
                with contextlib.suppress(OSError):
                    Path(record.path).unlink()
        self.removed.clear()

    # -- the index -------------------------------------------------------------------------
    def _read(self) -> None:
        index = self.folder / INDEX
        if not index.is_file():
            return
        try:
            data = json.loads(index.read_text())
            self.next = int(data.get("next", 1))
            rows = data["runs"]
            for row in rows:
                row = dict(row, path=str(self.folder / Path(row["path"]).name), kept=True)
                if Path(row["path"]).is_file():
                    self.records.append(RunRecord(**row))
        except (OSError, ValueError, KeyError, TypeError) as error:
            self.records = []
            self.problem = (
                f"The list of earlier runs ({index}) could not be read ({error}): "
                "their checkpoints are still in that folder and open with File > Open."
            )

    def _write(self) -> None:
        """Rewrite index.json; a failure is kept in `problem` (the list in memory stands)."""
        kept = [r.to_json() for r in self.records if r.kept]
        text = json.dumps({"format": FORMAT, "next": self.next, "runs": kept}, indent=1)
        try:
            write_atomic(self.folder / INDEX, text.encode())
        except OSError as error:
            self.problem = (
                f"The list of runs could not be written to {self.folder} ({error}): "
                "it is kept for this session only; free some space or check the folder."
            )
