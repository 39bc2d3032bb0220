"""Checkpoints: one .safetensors file of weights plus JSON metadata; never unpickled."""

from __future__ import annotations

import hashlib
import json
import os
import stat
import struct
from dataclasses import dataclass, field
from importlib import metadata as importlib_metadata
from pathlib import Path

import torch
from safetensors.torch import load as st_load
from safetensors.torch import save as st_save
from torch import nn

from models import ModelConfig, build
from trainer.config import TrainConfig
from trainer.files import write_atomic

APP = "latent-explorer"
FORMAT = 1
MAX_HEADER = 100_000_000  # bytes; safetensors itself refuses larger headers
NORMALISATION = "pixels as floats in [0, 1]"
NOT_OURS = "is not a Latent Explorer checkpoint: open a .safetensors file saved by this app."
TRUNCATED = "is truncated (shorter than its header says): use another copy."
CHECKSUM = "checksum"  # metadata key: sha256 of the tensor index, the other metadata and the data
# The metadata of files written before checksums: all a file without one may hold.
UNCHECKED = {"format", "app", "app_version", "model_config", "train_config", "dataset"}
UNCHECKED |= {"normalisation", "history", "world_size"}  # every key but the checksum


class CheckpointError(ValueError):
    """A file that is not a readable Latent Explorer checkpoint, or one that can't be written."""


@dataclass
class Checkpoint:
    """What a checkpoint file holds, validated against the model it describes."""

    model_config: ModelConfig
    train_config: TrainConfig | None
    dataset: str
    history: dict
    state: dict[str, torch.Tensor]
    meta: dict = field(default_factory=dict)  # the raw header metadata strings

    def build_model(self) -> nn.Module:
        """A fresh model with these weights, on the CPU, in eval mode."""
        model = build(self.model_config)
        model.load_state_dict(self.state, strict=True)
        return model.eval()


def app_version() -> str:
    try:
        return importlib_metadata.version(APP)
    except importlib_metadata.PackageNotFoundError:
        return "unknown"


def save(path, model, *, train_config=None, dataset="digits", history=None, world_size=1) -> Path:
    """Write the model atomically to `path` (trainer/files.py); return the path.
    `world_size`: the processes that trained it (trainer/distributed.py)."""
    path = Path(path)
    try:
        meta = {
            "format": str(FORMAT),
            "app": APP,
            "app_version": app_version(),
            "model_config": json.dumps(model.config.to_dict()),
            "train_config": json.dumps(None if train_config is None else train_config.to_dict()),
            "dataset": str(getattr(dataset, "name", dataset)),
            "normalisation": NORMALISATION,
            "history": json.dumps(history or {}),
            "world_size": str(int(world_size)),
        }
    except (TypeError, ValueError) as error:
        raise CheckpointError(
            f"Could not save {path}: its settings or history are not plain numbers ({error})."
        ) from error
    # Clone: contiguous CPU tensors that share no storage, as safetensors requires.
    state = {k: v.detach().to("cpu", copy=True).contiguous() for k, v in model.state_dict().items()}
    header, tensors = _with_checksum(st_save(state, metadata=meta))
    try:
        write_atomic(path, header, tensors)
    except OSError as error:
        raise CheckpointError(
            f"Could not save {path} ({_reason(path, error)}): choose a folder you can write to."
        ) from error
    return path


def _with_checksum(data: bytes) -> tuple[bytes, memoryview]:
    """A serialised file's new length-prefixed header holding its checksum, and its tensor bytes.

    The tensor offsets are relative to the end of the header, so the bytes are reused as they are.
    """
    (size,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + size])
    header["__metadata__"][CHECKSUM] = _digest(data, header)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)  # safetensors pads its header to 8 bytes with spaces
    return struct.pack("<Q", len(text)) + text, memoryview(data)[8 + size :]


def _digest(data: bytes, header: dict | None = None) -> str:
    """sha256 over the tensor index, the metadata but the checksum, and the tensor bytes."""
    (size,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + size]) if header is None else header
    meta = {k: v for k, v in (header.get("__metadata__") or {}).items() if k != CHECKSUM}
    index = {k: v for k, v in header.items() if k != "__metadata__"}
    digest = hashlib.sha256(json.dumps([index, meta], sort_keys=True).encode())
    digest.update(memoryview(data)[8 + size :])
    return "sha256:" + digest.hexdigest()


def _reason(path: Path, error: OSError) -> str:
    """Why a save failed, naming a file that stands where a folder should be."""
    for parent in path.parents:
        if parent.exists():
            if not parent.is_dir():
                return f"{parent} is a file, not a folder"
            break
    return error.strerror or str(error)


def _fail(path: Path, why: str) -> CheckpointError:
    return CheckpointError(f"{path} {why}")


def _read(path: Path) -> tuple[bytes, dict]:
    """The file's bytes and its header, after checking that the header is sane and ours.

    Only as many bytes as the header describes are read, and never from a pipe or device.
    """
    try:  # O_NONBLOCK: opening a FIFO must not wait for a writer
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        with open(fd, "rb") as f:
            info = os.fstat(f.fileno())
            if stat.S_ISDIR(info.st_mode):
                raise IsADirectoryError
            if not stat.S_ISREG(info.st_mode):
                raise _fail(path, "is not a regular file: pick a .safetensors file.")
            total = info.st_size
            start = f.read(9)
            (size,) = struct.unpack("<Q", start[:8]) if len(start) >= 8 else (0,)
            if len(start) < 9 or start[8:9] != b"{" or not 2 <= size <= MAX_HEADER:
                raise _refused(path, total)
            if size > total - 8:
                raise _fail(path, TRUNCATED)
            head = start + f.read(size - 1)
            header = _header(path, head[8:])
            offsets = [e.get("data_offsets") for e in header.values() if isinstance(e, dict)]
            ends = [o[1] for o in offsets if isinstance(o, list) and len(o) == 2]
            end = max((e for e in ends if isinstance(e, int)), default=0)
            if end > total - 8 - size:
                raise _fail(path, TRUNCATED)
            if end < total - 8 - size:
                raise _fail(path, "has unexpected data after its weights: use another copy.")
            data = head + f.read()
    except CheckpointError:
        raise
    except ValueError:  # a NUL byte in the name
        raise _fail(path, "is not a valid file name: pick a .safetensors file.") from None
    except FileNotFoundError:
        raise _fail(path, "does not exist: check the path.") from None
    except IsADirectoryError:
        raise _fail(path, "is a folder, not a checkpoint file: pick a .safetensors file.") from None
    except OSError as error:
        reason = error.strerror or str(error)
        raise _fail(path, f"could not be read ({reason}): check its permissions.") from error
    return data, header


def _header(path: Path, raw: bytes) -> dict:
    """The parsed JSON header, if it is ours and of a format this version reads."""
    try:
        header = json.loads(raw)
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise _fail(path, NOT_OURS) from None
    if not isinstance(header, dict):
        raise _fail(path, NOT_OURS)
    meta = header.get("__metadata__")
    if not isinstance(meta, dict) or meta.get("app") != APP:
        raise _fail(
            path,
            "is a safetensors file from another program, not a Latent Explorer checkpoint: "
            "open a file saved by this app.",
        )
    try:
        version = int(meta.get("format", ""))
    except (TypeError, ValueError):
        raise _fail(
            path, "has no readable format version: it is damaged, use another copy."
        ) from None
    if version > FORMAT:
        raise _fail(
            path,
            f"was written by a newer Latent Explorer (format {version}); "
            "update the app to open it.",
        )
    if version < 1:
        raise _fail(path, f"has an unknown format version {version}: use another copy.")
    return header


def _refused(path: Path, total: int) -> CheckpointError:
    """The error for a file whose first bytes are not a safetensors header."""
    if total < 9:
        return _fail(
            path, "is too short to be a checkpoint (truncated or empty): use another file."
        )
    return _fail(path, NOT_OURS)


def _parse(path: Path, meta: dict) -> tuple[ModelConfig, TrainConfig | None, dict]:
    try:
        model_config = ModelConfig.from_dict(json.loads(meta["model_config"]))
        model_config.validate()
        train = json.loads(meta.get("train_config", "null"))
        train_config = None if train is None else TrainConfig.from_dict(train)
        if train_config is not None:
            train_config.validate()
        history = json.loads(meta.get("history", "{}"))
        _check_history(history)
    except (KeyError, TypeError, ValueError, RecursionError) as error:
        raise _fail(
            path,
            f"has settings this version can't use ({str(error).rstrip('.')}): use another file.",
        ) from error
    return model_config, train_config, history


def _check_history(history) -> None:
    """The loss history: {split: {column: [numbers]}}, as the trainer writes it."""
    if not isinstance(history, dict):
        raise ValueError("the loss history is not a mapping")
    for split, columns in history.items():
        if not isinstance(columns, dict) or not all(
            isinstance(values, list)
            and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values)
            for values in columns.values()
        ):
            raise ValueError(f"the loss history of {split!r} is not lists of numbers")


def _check_state(path: Path, state: dict[str, torch.Tensor], model: nn.Module) -> None:
    """Every key, shape and dtype as the model expects, and only finite numbers."""
    mismatch = "does not match the model it describes"
    expected = model.state_dict()
    missing, extra = sorted(set(expected) - set(state)), sorted(set(state) - set(expected))
    if missing or extra:
        what = f"missing {', '.join(missing)}" if missing else f"unexpected {', '.join(extra)}"
        raise _fail(path, f"{mismatch} ({what}): it is damaged or was edited, use another file.")
    for key, want in expected.items():
        got = state[key]
        if got.shape != want.shape or got.dtype != want.dtype:
            raise _fail(
                path,
                f"{mismatch} ({key} is {got.dtype} {tuple(got.shape)}, the model needs "
                f"{want.dtype} {tuple(want.shape)}): it is damaged or was edited, "
                "use another file.",
            )
        if got.is_floating_point() and not bool(torch.isfinite(got).all()):
            raise _fail(path, f"holds non-finite weights in {key} (NaN or infinity): retrain it.")


def load(path) -> Checkpoint:
    """Read and validate a checkpoint; every problem is a CheckpointError naming the file."""
    path = Path(path)
    data, header = _read(path)
    meta = header["__metadata__"]
    model_config, train_config, history = _parse(path, meta)
    try:
        state = st_load(data)
    except Exception as error:  # safetensors raises its own SafetensorError for bad bytes
        raise _fail(path, "is damaged (its weights can't be read): use another copy.") from error
    try:  # on the meta device: a file can't make us allocate a model bigger than itself
        with torch.device("meta"):
            model = build(model_config)
    except (ValueError, TypeError, RuntimeError) as error:
        raise _fail(path, f"describes a model that can't be built ({error}).") from error
    _check_state(path, state, model)
    if CHECKSUM in meta and meta[CHECKSUM] != _digest(data, header):
        raise _fail(path, "is damaged (its contents do not match its checksum): use another copy.")
    if CHECKSUM not in meta and not set(meta) <= UNCHECKED:  # e.g. the checksum's name damaged
        raise _fail(path, "is damaged (its settings have unknown entries): use another copy.")
    try:
        model.load_state_dict(state, strict=True, assign=True)
    except RuntimeError as error:
        raise _fail(path, "does not match the model it describes: use another file.") from error
    dataset = meta.get("dataset", "")
    return Checkpoint(model_config, train_config, dataset, history, state, dict(meta))
