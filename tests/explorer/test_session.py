"""The session owns its state: read-only attributes, changed only by methods that signal."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from explorer.session import Session


def _record(qtbot, session: Session) -> list[str]:
    """Names of the session's change signals, in the order they are emitted."""
    seen: list[str] = []
    for name in ("modelChanged", "weightsChanged", "historyChanged", "fileChanged"):
        getattr(session, name).connect(lambda *_, n=name: seen.append(n))
    session.historyExtended.connect(lambda rows: seen.append(("historyExtended", rows)))
    return seen


def test_every_change_goes_through_a_method_that_signals(qtbot, tiny_model, digits, tmp_path):
    session = Session()
    seen = _record(qtbot, session)
    history = {"train": {"step": [1, 2], "loss": [3.0, 2.0]}}
    session.set_model(tiny_model(), digits, history=history)
    assert seen == ["modelChanged", "fileChanged"]
    assert session.path is None and session.dirty and session.version == 1

    rows = {"train": {"step": [3], "loss": [1.5]}, "val": {"step": [3], "loss": [1.7]}}
    session.extend_history(rows)
    assert session.history["train"] == {"step": [1, 2, 3], "loss": [3.0, 2.0, 1.5]}
    assert session.history["val"] == {"step": [3], "loss": [1.7]}
    assert history["train"]["step"] == [1, 2]  # the caller's dict is not the session's
    assert seen[-1] == ("historyExtended", rows)

    session.mark_saved(tmp_path / "run.safetensors")
    assert session.path == Path(tmp_path / "run.safetensors") and not session.dirty
    assert seen[-1] == "fileChanged"

    del seen[:]
    state = {k: v + 0.01 for k, v in session.model.state_dict().items()}
    session.apply_weights(state)
    session.apply_weights(state)
    assert seen == ["weightsChanged", "fileChanged", "weightsChanged"]  # unsaved once
    assert session.dirty and session.version == 3
    version, snapshot = session.snapshot()
    assert version == 3 and snapshot is state

    session.set_history(None)
    assert session.history == {} and seen[-1] == "historyChanged"


def test_state_cannot_be_set_from_outside(session):
    for name in ("model", "dataset", "history", "train_config", "path", "dirty", "version"):
        with pytest.raises(AttributeError):
            setattr(session, name, None)


def test_the_display_copy_is_the_sessions_own(tiny_model, digits):
    model, session = tiny_model(), Session()
    session.set_model(model, digits)
    assert session.model is not model and not session.model.training
    assert not any(p.requires_grad for p in session.model.parameters())
    z = torch.zeros(1, 2)
    np.testing.assert_allclose(session.decode(z)[0], model.decode(z)[0, 0].detach(), atol=1e-6)
