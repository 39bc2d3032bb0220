"""The analysis panels on a real session: they build, follow model changes, survive new sizes."""

from __future__ import annotations

import csv

import numpy as np
import pytest
from PIL import Image

from trainer import analysis, checkpoint

WAIT = 120_000  # ms; generous, the machine is shared


def settle(qtbot, panel, ready):
    qtbot.waitUntil(lambda: not panel.busy() and bool(ready()), timeout=WAIT)


def test_compare_panel_follows_the_model(qtbot, session, digits, tiny_model, tmp_path, make_panel):
    panel = make_panel("compare", session=session, size=(900, 700))
    settle(qtbot, panel, lambda: panel.results() is not None)
    first = panel.results()
    assert first["code_size"] == 2
    assert first["model_error"] == pytest.approx(analysis.test_mse(session.model, digits))
    assert first["pca_error"] == pytest.approx(analysis.pca_test_mse(digits, 2))
    assert first["angles"] is None and "train a linear model" in panel.angles.text()

    session.set_model(tiny_model("conv", "ae", 8), digits)
    settle(qtbot, panel, lambda: panel.results() is not None)
    assert panel.results()["code_size"] == 8
    assert [len(r) for r in panel.results()["rows"]] == [10, 10, 10]

    linear = tiny_model("linear", "ae", 3, steps=200)
    session.set_model(linear, digits)
    settle(qtbot, panel, lambda: panel.results() is not None)
    assert panel.results()["angles"].shape == (3,)
    assert "Principal angles between" in panel.angles.text()

    path = checkpoint.save(tmp_path / "conv8.safetensors", tiny_model("conv", "ae", 8))
    panel.add_checkpoint(path)
    settle(qtbot, panel, lambda: panel.results() is not None and panel.results()["added"])
    added = panel.results()["added"][0]
    assert added["code_size"] == 8 and added["error"] == pytest.approx(
        analysis.test_mse(tiny_model("conv", "ae", 8), digits), rel=1e-5
    )
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(b"not a checkpoint")
    with pytest.raises(checkpoint.CheckpointError):
        panel.add_checkpoint(bad)


def test_compare_panel_drops_a_stale_result(qtbot, session, digits, tiny_model, make_panel):
    panel = make_panel("compare", session=session, size=(900, 700))
    panel.refresh_now()  # running for the code-size-2 model...
    session.set_model(tiny_model("conv", "ae", 8), digits)  # ...when the model changes
    settle(qtbot, panel, lambda: panel.results() is not None)
    assert panel.results()["code_size"] == 8


def test_anomaly_panel_threshold_scores_and_export(
    qtbot, session, digits, tiny_model, tmp_path, make_panel
):
    panel = make_panel("anomalies", session=session, size=(900, 700))
    settle(qtbot, panel, lambda: panel.errors() is not None)
    session.set_model(tiny_model("conv", "ae", 8, steps=300), digits)
    settle(qtbot, panel, lambda: panel.errors() is not None)
    errors = panel.errors()
    assert errors == pytest.approx(analysis.reconstruction_errors(session.model, digits.test_x))
    assert panel.threshold() == pytest.approx(np.percentile(errors, 99))
    assert panel.count_above() == int((errors > panel.threshold()).sum())
    assert "above the threshold" in panel.count.text()
    panel.set_threshold(np.median(errors))
    assert panel.count_above() == int((errors > np.median(errors)).sum())
    assert f"<b>{panel.count_above()}</b>" in panel.count.text()
    panel.set_threshold(np.percentile(errors, 99))

    noise = np.random.default_rng(0).random((8, 8)).astype(np.float32)
    assert panel.score_image(noise) > panel.threshold()
    assert "anomalous" in panel.verdict.text() and panel.score_line.isVisible()
    png = tmp_path / "digit.png"
    Image.fromarray(digits.test_x[0, 0].numpy()).save(png)  # the stored pixels
    assert panel.score_file(png) == pytest.approx(errors[0], rel=0.05, abs=1e-3)

    out = panel.export_csv(tmp_path / "scores.csv")
    rows = list(csv.DictReader(out.open()))
    assert len(rows) == len(digits.test_x)
    assert float(rows[5]["error"]) == pytest.approx(errors[5], rel=1e-6)
    assert sum(int(r["above_threshold"]) for r in rows) == panel.count_above()

    session.set_model(tiny_model("mlp", "ae", 3), digits)  # another code size
    assert not panel.score_line.isVisible()
    settle(qtbot, panel, lambda: panel.errors() is not None and panel.errors() is not errors)


def test_cluster_panel_colours_the_map_and_scores(qtbot, session, digits, tiny_model, make_panel):
    panel = make_panel("clusters", session=session, size=(900, 700))
    assert panel.k_spin.value() == len(digits.classes)
    with qtbot.waitSignal(session.clustersChanged, timeout=WAIT) as sent:
        pass
    ids = sent.args[0]
    assert ids.shape == (len(digits.test_x),) and ids.max() == len(digits.classes) - 1
    settle(qtbot, panel, lambda: panel.scores() is not None)
    assert -1 <= panel.scores()["ari"] <= 1 and 0 < panel.scores()["purity"] <= 1

    with qtbot.waitSignal(session.clustersChanged, timeout=WAIT) as sent:
        panel.set_k(4)
    assert sent.args[0].max() == 3
    assert panel.table.rowCount() == 4 and panel.table.columnCount() == len(digits.classes)

    with qtbot.waitSignal(session.clustersChanged, timeout=WAIT) as sent:
        panel.colour_check.setChecked(False)
    assert sent.args[0] is None

    panel.colour_check.setChecked(True)
    with qtbot.waitSignals([session.clustersChanged, session.clustersChanged], timeout=WAIT):
        session.set_model(tiny_model("conv", "ae", 8), digits)  # None at once, then new ids
    settle(qtbot, panel, lambda: panel.scores() is not None)
    assert panel.scores()["ari"] > 0


def test_feature_panel_probes_and_pretraining(qtbot, session, digits, tiny_model, make_panel):
    panel = make_panel("features", session=session, size=(900, 700))
    settle(qtbot, panel, lambda: panel.probe_results() is not None)
    assert panel.probe_results()["names"][0] == "codes (2)"
    session.set_model(tiny_model("conv", "ae", 8), digits)
    settle(qtbot, panel, lambda: panel.probe_results() is not None)
    result = panel.probe_results()
    assert result["names"] == ["codes (8)", "PCA (8)", "raw pixels (64)"]
    assert all(result["chance"] < a <= 1 for a in result["accuracies"])

    panel.per_class.setValue(5)
    panel.steps.setValue(30)
    panel.run_pretraining()
    settle(qtbot, panel, lambda: panel.pretraining_results() is not None)
    out = panel.pretraining_results()
    assert out["labelled"] == 50 and 0 <= out["scratch"] <= 1 and 0 <= out["pretrained"] <= 1
    assert f"{out['pretrained']:.1%}" in panel.pre_summary.text()

    panel.steps.setValue(5000)
    panel.run_pretraining()
    assert panel.pre_job.isVisible()
    panel.pre_job.cancel_button.click()
    assert not panel.busy() and not panel.pre_job.isVisible()

    session.set_model(tiny_model("mlp", "ae", 3), digits)
    assert panel.pretraining_results() is None
    settle(qtbot, panel, lambda: panel.probe_results() is not None)
    assert panel.probe_results()["names"][0] == "codes (3)"
