"""Training settings: the run's settings that are not part of the model, described once.

Like `models.ModelConfig`, every field carries its `Setting` (label, help, range, choices);
`settings()` lists both configs' in the order of the form and of `train --help`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields

from models.config import ModelConfig, Setting, check_values, setting, settings_of

DEVICES = ("auto", "cpu", "cuda", "cuda-all", "mps")  # cuda-all: one rank per GPU
SCHEDULES = ("onecycle", "cosine", "constant")  # see trainer/schedules.py
GROUPS = ("Data", "Model", "Objective", "Training")  # the form's groups, top to bottom
MAX_EPOCHS = 100_000
T = "Training"


@dataclass
class TrainConfig:
    """How to train. Fields added after the first release keep defaults that old checkpoints
    (which lack them) take when loaded; the command line and form start from trainer.recipes.
    """

    dataset: str = setting(
        "digits", "Dataset", "The images the autoencoder learns to reproduce: a set that ships "
        "with the app, one downloaded on first use, or folder:PATH (Folder... in the form) "
        "for your own images.", "Data", kind="dataset")  # fmt: skip
    size: int = setting(
        0, "Image size", "The side, in pixels, that images are resized to (a folder's are "
        "centre-cropped to a square first). Smaller trains faster and keeps less detail; 0 "
        "keeps the dataset's own size (32 for a folder).", "Data", low=0, high=512,
        zero="own")  # fmt: skip
    channels: str = setting(
        "own", "Colour", "grey trains on one luminance channel, colour on three (grey images "
        "repeated); own keeps the dataset's own (grey for a folder).", "Data",
        choices=("own", "grey", "colour"), switches=True)  # fmt: skip
    epochs: int = setting(
        10, "Epochs", "Passes over the training split. More fit better, up to overfitting; "
        "early stopping may end the run sooner.", T, low=1, high=MAX_EPOCHS)  # fmt: skip
    batch_size: int = setting(
        128, "Batch size", "Examples per gradient step. Larger batches give steadier, faster "
        "epochs but fewer steps; the learning rate usually has to follow.", T, low=1,
        high=1_000_000, ui=(1, 65_536))  # fmt: skip
    # No upper bound on lr: a huge rate is the user's call; the loop stops cleanly if it diverges.
    lr: float = setting(
        1e-3, "Learning rate", "The peak learning rate of Adam's schedule. Raising it learns "
        "faster until training diverges (the loss becomes nan): then lower it.", T, low=0,
        exclusive=True, ui=(1e-6, 10.0), log=True)  # fmt: skip
    schedule: str = setting(
        "onecycle", "LR schedule", "How the learning rate moves over the run. onecycle: warms "
        "up to the rate, then anneals far below it; cosine: a short warm-up, then a cosine "
        "decay to 0; constant: the rate throughout.", T, choices=SCHEDULES)  # fmt: skip
    weight_decay: float = setting(
        0.0, "Weight decay", "AdamW's decoupled weight decay, shrinking the weights every "
        "step. Raising it fights overfitting (test error far above training error); too much "
        "underfits.", T, low=0, ui=(0.0, 100.0), log=True)  # fmt: skip
    patience: int = setting(
        20, "Early-stop patience", "Stop after this many epochs without a better validation "
        "loss and keep the best epoch's weights. Raising it trains longer; 0 never stops "
        "early.", T, low=0, high=MAX_EPOCHS)  # fmt: skip
    clip: float = setting(
        0.0, "Gradient clip", "The largest gradient norm per step; 0 turns clipping off. "
        "Lowering it tames runs whose loss jumps.", T, low=0, ui=(0.0, 1e6),
        log=True)  # fmt: skip
    kl_warmup: int = setting(
        0, "KL warm-up (epochs)", "VAE: epochs over which the KL weight rises from 0 to "
        "\u03b2 (at most half the run). Raising it guards longer against posterior collapse "
        "(codes that ignore the input); 0 turns it off.", "Objective", low=0,
        high=MAX_EPOCHS)  # fmt: skip
    val_fraction: float = setting(
        0.1, "Validation share", "Share of the training split held out to validate each "
        "epoch and to stop early; the test split is never used for either. 0 trains on all "
        "of it and turns early stopping off.", T, low=0, high=0.5, step=0.05)  # fmt: skip
    device: str = setting(
        "auto", "Device", "Where training runs; auto picks cuda, then mps, then cpu; cuda-all "
        "trains on every GPU, one process each (DDP).", T,
        choices=DEVICES)  # fmt: skip
    precision: str = setting(
        "fp32", "Precision", "bf16 runs the forward pass under bfloat16 autocast (CUDA or "
        "CPU): faster on hardware with bf16 units and half the activation memory, at about "
        "three significant digits; validation stays in fp32.", T, choices=("fp32", "bf16"),
        switches=True)  # fmt: skip
    seed: int = setting(
        0, "Seed", "Random seed for the weights, the batch order and the noise: the same "
        "seed repeats a run exactly.", T, low=0, ui=(0, 2**31 - 1))  # fmt: skip

    def validate(self) -> None:
        """Raise ValueError with a sentence naming the field and what is allowed."""
        check_values(self)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> TrainConfig:
        """The inverse of `to_dict`; missing keys take their defaults, unknown keys are refused."""
        names = {f.name for f in fields(cls)}
        unknown = set(data) - names
        if unknown:
            raise ValueError(f"unknown training settings: {', '.join(sorted(unknown))}.")
        return cls(**data)


def settings() -> list[Setting]:
    """Every setting a person chooses for a run (the model's, then training's), grouped as
    GROUPS and in field order within a group: the form's rows and the `train` flags."""
    chosen = [s for s in (*settings_of(ModelConfig), *settings_of(TrainConfig))]
    chosen = [s for s in chosen if s.kind != "shape"]  # the image shape comes from the data
    return sorted(chosen, key=lambda s: GROUPS.index(s.group))
