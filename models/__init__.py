"""Autoencoders in pure PyTorch: a backbone crossed with an objective, built from a config.

from models import ModelConfig, build
model = build(ModelConfig(backbone="conv", objective="vae", input_shape=(1, 28, 28)))
out = model(x)            # AEOutput(loss, terms, recon, z)

models.config is the leaf (the dataclass, its field metadata and the registries' tables);
models.backbones and models.objectives register their classes there; models.corruption,
models.colour and models.sampling are plain tensor functions.
"""

from __future__ import annotations

from models.backbones import BACKBONES
from models.config import ModelConfig
from models.objectives import OBJECTIVES, AEOutput, Autoencoder

__all__ = [
    "BACKBONES",
    "OBJECTIVES",
    "AEOutput",
    "Autoencoder",
    "ModelConfig",
    "build",
    "term_names",
]


def build(config: ModelConfig | dict) -> Autoencoder:
    """Validate the config (a ModelConfig or its to_dict()) and build the model it names."""
    if isinstance(config, dict):
        config = ModelConfig.from_dict(config)
    config.validate()
    return OBJECTIVES[config.objective](config)


def term_names(objective: str) -> list[str]:
    """The loss terms an objective reports, e.g. ["recon", "kl"] ("loss" is not listed)."""
    if objective not in OBJECTIVES:
        raise ValueError(f"objective must be one of {', '.join(OBJECTIVES)}, not {objective!r}.")
    return list(OBJECTIVES[objective].terms)
