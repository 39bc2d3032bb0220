"""Every panel of PANELS around real small models of every kind: with and without a prior,
code sizes 1, 2 and 8, grey and colour input; each exercises its test-contract path.

The kinds are a covering array: every (objective, code size), (objective, input) and
(code size, input) pair appears once at least, in 6 models rather than 12.
"""

from __future__ import annotations

import numpy as np
import pytest

from explorer.panels import PANELS
from trainer.data import as_float

KINDS = [  # (backbone, objective, code size, channels)
    ("mlp", "vae", 1, 1),
    ("conv", "vae", 2, 3),
    ("mlp", "vae", 8, 1),
    ("conv", "ae", 1, 3),
    ("mlp", "ae", 2, 1),
    ("conv", "ae", 8, 3),
]
WAIT = 120_000  # ms for a background job on a shared machine


def assert_images(images, input_shape, count: int | None = None) -> None:
    """Float images in [0, 1] of H x W (grey) or H x W x C (colour), `count` of them."""
    c, h, w = input_shape
    images = np.asarray(images)
    one = (h, w) if c == 1 else (h, w, c)
    assert images.shape == (one if count is None else (count, *one))
    assert np.issubdtype(images.dtype, np.floating) and np.isfinite(images).all()
    assert images.min() >= 0.0 and images.max() <= 1.0


def latent(panel, qtbot, model, data) -> None:
    code = panel.session.encode(data.test_x[3:4])[0]
    panel.move_point(code)  # a whole code, as the session's codeRequested does
    np.testing.assert_allclose(panel.point(), code, atol=1e-6)
    assert_images(panel.decoded(), model.input_shape)
    assert panel.positions().shape == (len(data.test_x), 2)
    if model.code_size != 2:
        panel.move_point([0.25, -0.5])  # two map coordinates, as a drag does
    assert panel.point().shape == (model.code_size,)
    assert_images(panel.decoded(), model.input_shape)
    np.testing.assert_allclose(panel.decoded(), panel.session.decode(panel.point())[0], atol=1e-6)


def interpolation(panel, qtbot, model, data) -> None:
    panel.set_endpoints(0, 1)
    panel.slider.setValue(0)
    assert_images(panel.decoded(), model.input_shape)
    recon = panel.session.reconstruct(data.test_x[0:1])[0]
    np.testing.assert_allclose(panel.decoded(), recon, atol=1e-5)  # t = 0 decodes A's code
    assert_images(panel.frames(5), model.input_shape, count=5)


def denoise(panel, qtbot, model, data) -> None:
    clean = as_float(data.test_x[2]).permute(1, 2, 0).numpy()
    panel.set_image(clean[..., 0] if model.input_shape[0] == 1 else clean)
    panel.set_noise("gaussian", 0.3)
    assert_images(panel.corrupted(), model.input_shape)
    assert_images(panel.denoised(), model.input_shape)
    noisy_db, denoised_db = panel.psnr()
    assert 0 < noisy_db < 60 and 0 < denoised_db < 60


def colourise(panel, qtbot, model, data) -> None:
    panel.use_bundled(False)  # the session's own model, whatever it is
    panel.show_test(2)
    grey, out, truth = panel.images()
    for image in (grey, out, truth):
        assert_images(image, model.input_shape)
    figures = panel.psnrs()
    assert len(figures) == (4 if model.input_shape[0] == 3 else 0)
    assert all(0 < v < 100 for v in figures.values())


def samples(panel, qtbot, model, data) -> None:
    panel.reseed(1)
    first = panel.samples()
    assert_images(first, model.input_shape, count=len(first))
    assert len(first) == panel.grid_spin.value() ** 2
    panel.reseed(1)
    np.testing.assert_array_equal(panel.samples(), first)
    assert ("N(0, I)" in panel.prior_label.text()) == model.has_prior


def _result(panel, qtbot):
    panel.refresh_now()
    qtbot.waitUntil(lambda: not panel.busy() and panel.result() is not None, timeout=WAIT)
    return panel.result()


def compression(panel, qtbot, model, data) -> None:
    out = _result(panel, qtbot)
    assert out["code_size"] == model.code_size
    assert {"model", "PCA", "JPEG", "PNG"} <= set(panel.series())
    panel.set_bits(3)
    for image in panel.shown().values():
        assert_images(image, model.input_shape)


def compare(panel, qtbot, model, data) -> None:
    out = _result(panel, qtbot)
    assert out["code_size"] == model.code_size and out["model_error"] > 0
    for row in out["rows"]:  # originals, PCA's and the model's reconstructions
        assert_images(row, model.input_shape, count=len(row))


def anomalies(panel, qtbot, model, data) -> None:
    out = _result(panel, qtbot)
    assert out["errors"].shape == (len(data.test_x),) and (out["errors"] >= 0).all()
    assert_images(out["recons"], model.input_shape, count=len(out["worst"]))
    assert panel.count_above() >= 1  # the 99th percentile leaves some above


def clusters(panel, qtbot, model, data) -> None:
    out = _result(panel, qtbot)
    assert out["ids"].shape == (len(data.test_x),) and -1 <= out["ari"] <= 1
    for cluster in out["clusters"]:
        assert_images(cluster["examples"], model.input_shape, count=len(cluster["examples"]))


def features(panel, qtbot, model, data) -> None:
    out = _result(panel, qtbot)
    assert out["names"][0] == f"codes ({model.code_size})"
    assert all(0 <= a <= 1 for a in out["accuracies"])


def compare_runs(panel, qtbot, model, data) -> None:
    panel.compare("The model shown", "The model shown")
    qtbot.waitUntil(panel.map_ready, timeout=WAIT)
    panel.move_point([0.25, -0.5])
    a, b = panel.decoded()
    assert_images(a, model.input_shape)
    np.testing.assert_allclose(a, b, atol=1e-6)  # the same model at the same point
    assert panel.codes()[0].shape == (model.code_size,)


def traversal(panel, qtbot, model, data) -> None:
    out = _result(panel, qtbot)
    assert panel.rows() == model.code_size == len(out["grid"])
    for row in out["grid"]:
        assert_images(row, model.input_shape, count=len(row))
    assert panel.factor_rows() == (len(data.factors) if data.factors else 0)


EXERCISE = {
    f.__name__: f
    for f in (latent, interpolation, denoise, colourise, samples, compression, compare,
              anomalies, clusters, features, compare_runs, traversal)
}  # fmt: skip


def test_every_panel_has_an_exercise():
    assert [name for name, _, _ in PANELS] == list(EXERCISE)


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: "-".join(map(str, k)))
@pytest.mark.parametrize("name", [name for name, _, _ in PANELS])
def test_every_panel_works_for_every_kind_of_model(qtbot, make_panel, tiny_model, name, kind):
    backbone, objective, code_size, channels = kind
    model = tiny_model(backbone, objective, code_size, channels, steps=30)
    panel = make_panel(name, model)
    data = panel.session.dataset
    assert data.shape == model.input_shape and channels == model.input_shape[0]
    EXERCISE[name](panel, qtbot, panel.session.model, data)
