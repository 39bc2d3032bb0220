"""Training the session's model on: whether it can be, and what such a run starts from."""

from __future__ import annotations

import copy

from models import ModelConfig
from trainer.config import TrainConfig


def has_trained(session) -> bool:
    """The session's model has trained: a history with train steps, and its settings."""
    steps = (session.history.get("train") or {}).get("step") if session.history else None
    return session.model is not None and bool(steps) and session.train_config is not None


def continuation(session) -> tuple[ModelConfig, TrainConfig, dict]:
    """(model config, train config, runner.start's `state` and `history`) to train a model
    that has trained on: the epochs left of its run, or as many again when it finished
    them; its weights and its history copied, the history to be continued."""
    tc = copy.copy(session.train_config)
    done = max((session.history.get("val") or {}).get("epoch") or [0])
    tc.epochs = tc.epochs - done if 0 < done < tc.epochs else tc.epochs
    state = {k: v.detach().cpu().numpy().copy() for k, v in session.model.state_dict().items()}
    history = {
        split: {k: list(v) for k, v in cols.items()} for split, cols in session.history.items()
    }
    return session.config, tc, {"state": state, "history": history}
