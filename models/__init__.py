"""Autoencoders in pure PyTorch: a backbone crossed with an objective, built from a config.

from models import ModelConfig, build
model = build(ModelConfig(backbone="conv", objective="vae", input_shape=(1, 28, 28)))
out = model(x)            # AEOutput(loss, terms, recon, z)
"""

from __future__ import annotations

from models.backbones import BACKBONES
from models.config import ModelConfig
from models.objectives import OBJECTIVES, AEOutput, Autoencoder, term_names

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
