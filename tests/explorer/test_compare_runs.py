"""The compare view: two runs' maps over the same region, one point in both, their figures."""

from __future__ import annotations

import numpy as np
import torch

from explorer.training.run_store import RunStore
from trainer.analysis.regularity import regularity

WAIT = 120_000  # ms for a background job on a shared machine


def _store(tmp_path, models) -> RunStore:
    store = RunStore(tmp_path / "runs")
    for model in models:
        name, path = store.reserve()
        store.save_trained(name, path, model, dataset="digits", history={}, train_config=None)
    return store


def test_the_point_moves_in_both_maps_and_both_decode(qtbot, make_session, make_panel, tiny_model,
                                                      tmp_path):  # fmt: skip
    ae, vae = tiny_model("mlp", "ae"), tiny_model("mlp", "vae")
    session = make_session(ae)
    session.runs = _store(tmp_path, [ae, vae])
    panel = make_panel("compare_runs", session=session, size=(1000, 700))
    assert panel.choices() == ["The model shown", "run 1", "run 2"]
    panel.compare("run 1", "run 2")
    qtbot.waitUntil(panel.map_ready, timeout=WAIT)
    frames = [side["frame"] for side in panel.sides]

    panel.targets[0].setPos(0.7, -0.4)  # what a drag in the left map does
    np.testing.assert_allclose(panel.point(), [0.7, -0.4])
    assert [t.pos().x() for t in panel.targets] == [0.7, 0.7]  # the other point followed
    a, b = panel.decoded()
    assert a.shape == b.shape == (8, 8) and not np.allclose(a, b)
    for model, frame, image in zip((ae, vae), frames, (a, b)):
        z = frame.lift([0.7, -0.4])  # the same place in standard units of each run's codes
        with torch.no_grad():
            expected = model.decode(torch.from_numpy(z))[0, 0].clamp(0, 1).numpy()
        np.testing.assert_allclose(image, expected, atol=1e-5)
    codes = np.stack(panel.codes())
    assert not np.allclose(codes[0], codes[1])  # the same map point, each run's own code
    panel.targets[1].setPos(-1.0, 0.5)  # and a drag in the right map moves the left one
    assert panel.targets[0].pos().x() == -1.0 and np.allclose(panel.point(), [-1.0, 0.5])
    assert all(item.isVisible() and item.image is not None for item in panel.grid_items)

    qtbot.waitUntil(lambda: panel.figures() is not None, timeout=WAIT)
    for model, figures, label in zip((ae, vae), panel.figures(), panel.figure_labels):
        assert figures == regularity(model, session.dataset)
        assert f"{figures['latent_roughness']:.3f}" in label.text()
        assert f"{100 * figures['latent_holes']:.1f}%" in label.text()


def test_runs_on_different_datasets_are_refused_in_one_sentence(qtbot, make_session,
                                                                 make_panel, tiny_model,
                                                                 tmp_path):  # fmt: skip
    grey, colour = tiny_model("mlp", "ae"), tiny_model("mlp", "ae", channels=3)
    session = make_session(colour)
    session.runs = _store(tmp_path, [grey])
    panel = make_panel("compare_runs", session=session)
    panel.compare("The model shown", "run 1")
    qtbot.waitUntil(lambda: "same dataset" in panel.info.text(), timeout=WAIT)
    assert not panel.map_ready()
