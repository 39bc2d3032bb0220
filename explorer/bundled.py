"""The checkpoints shipped in resources/ (the default model, the denoisers, the colouriser),
and opening a checkpoint together with the data it needs."""

from __future__ import annotations

import functools
from pathlib import Path

from trainer import checkpoint
from trainer.checkpoint import CheckpointError
from trainer.data import DatasetError, load_for

RESOURCES = Path(__file__).resolve().parents[1] / "resources"
PRETRAINED = RESOURCES / "pretrained"
DEFAULT_CHECKPOINT = PRETRAINED / "digits-vae.safetensors"  # opened at start
DENOISERS = {"digits": PRETRAINED / "digits-denoising.safetensors"}  # dataset -> denoiser
COLOURISER = PRETRAINED / "shapes-colour-colourise.safetensors"  # the Colourise panel's
FILTER = "Checkpoints (*.safetensors);;All files (*)"


def load_checkpoint(path: str | Path):
    """(Checkpoint, model, Dataset) for `path`; CheckpointError if either can't be had."""
    ckpt = checkpoint.load(path)
    shape = tuple(ckpt.model_config.input_shape)
    try:  # read at the size and colour the model was trained on
        dataset = load_for(ckpt.dataset, shape)
    except DatasetError as error:
        raise CheckpointError(
            f"{Path(path).name} was trained on data that is missing: {error}"
        ) from None
    if tuple(dataset.shape) != shape:
        raise CheckpointError(
            f"{Path(path).name} expects {shape} images but {ckpt.dataset} has "
            f"{tuple(dataset.shape)}: retrain the model on this dataset."
        )
    return ckpt, ckpt.build_model(), dataset


@functools.lru_cache(maxsize=4)
def bundled_denoiser(dataset: str, shape: tuple):
    """The bundled denoising model for this dataset and input shape, or None."""
    path = DENOISERS.get(dataset)
    try:
        ckpt = checkpoint.load(path) if path is not None and path.is_file() else None
    except checkpoint.CheckpointError:
        return None
    if ckpt is None or tuple(ckpt.model_config.input_shape) != tuple(shape):
        return None
    return ckpt.build_model()


@functools.lru_cache(maxsize=1)
def bundled_colouriser():
    """(model, Dataset) of the bundled colouriser and its shapes-colour data, or None when the
    file is missing or unreadable. Slow the first time (the sprites are drawn): call it off
    the GUI thread."""
    try:
        _ckpt, model, dataset = load_checkpoint(COLOURISER)
    except CheckpointError:
        return None
    return model, dataset
