"""The loss dock on real data: lines, TensorBoard's smoothing, steps or epochs."""

from __future__ import annotations

import numpy as np
import pytest

from explorer.training.loss_panel import LossPanel


def _noisy_history(steps: int = 200, per_epoch: int = 50) -> dict:
    """A falling loss with batch noise; validation at each epoch end."""
    rng = np.random.default_rng(0)
    s = np.arange(1, steps + 1)
    loss = 1.0 / np.sqrt(s) + 0.05 * rng.standard_normal(steps)
    ends = s[per_epoch - 1 :: per_epoch]
    return {
        "train": {"step": s.tolist(), "loss": loss.tolist(), "recon": (0.8 * loss).tolist()},
        "val": {
            "step": ends.tolist(),
            "epoch": list(range(1, len(ends) + 1)),
            "loss": (1.0 / np.sqrt(ends)).tolist(),
        },
    }


def _tensorboard(values, weight):
    """TensorBoard's smoothing, written out: a debiased exponential moving average."""
    last, out = 0.0, []
    for i, v in enumerate(values, 1):
        last = last * weight + (1 - weight) * v
        out.append(last / (1 - weight**i))
    return np.array(out)


@pytest.fixture
def panel(qtbot):
    panel = LossPanel()
    qtbot.addWidget(panel)
    panel.resize(900, 260)
    panel.show()
    qtbot.waitExposed(panel)
    panel.set_history(_noisy_history())
    return panel


def test_train_curves_are_lines_and_validation_keeps_its_markers(panel):
    plot = panel.plot
    assert plot.curve("loss").opts["symbol"] is None
    assert plot.curve("recon").opts["symbol"] is None
    assert plot.curve("loss", "val").opts["symbol"] == "o"
    assert len(plot.curve("loss").xData) == 200


def test_smoothing_changes_the_drawn_curve_and_keeps_the_raw_points(panel):
    plot, history = panel.plot, _noisy_history()
    raw = np.array(history["train"]["loss"])
    panel.smoothing.setValue(0)
    assert np.allclose(plot.curve("loss").yData, raw)
    panel.smoothing.setValue(90)
    drawn = plot.curve("loss").yData
    assert np.allclose(drawn, _tensorboard(raw, 0.9))
    assert np.abs(np.diff(drawn)).mean() < 0.5 * np.abs(np.diff(raw)).mean()  # smoother
    assert np.allclose(plot.raw("loss")[1], raw)  # the data is kept as it came
    assert np.allclose(plot._raw["loss"].yData, raw) and plot._raw["loss"].isVisible()
    assert np.allclose(plot.curve("loss", "val").yData, history["val"]["loss"])  # not smoothed
    panel.smoothing.setValue(0)
    assert np.allclose(plot.curve("loss").yData, raw) and not plot._raw["loss"].isVisible()


def test_smoothing_a_live_run_continues_where_it_was(panel, qtbot):
    plot = panel.plot
    panel.smoothing.setValue(80)
    history = _noisy_history()
    plot.set_history({"train": {k: v[:120] for k, v in history["train"].items()}})
    train = history["train"]
    panel.append_rows({"train": {k: v[120:] for k, v in train.items()}})
    plot.redraw()
    assert np.allclose(plot.curve("loss").yData, _tensorboard(train["loss"], 0.8))


def test_the_x_axis_switches_between_steps_and_epochs(panel):
    plot = panel.plot
    assert plot.curve("loss").xData.max() == 200
    panel.x_combo.setCurrentIndex(panel.x_combo.findData("epoch"))
    assert plot.getPlotItem().getAxis("bottom").labelText == "epoch"
    x = plot.curve("loss").xData
    assert x[49] == pytest.approx(1.0) and x.max() == pytest.approx(4.0)
    assert list(plot.curve("loss", "val").xData) == pytest.approx([1, 2, 3, 4])
    panel.append_rows({"train": {"step": [225], "loss": [0.1], "recon": [0.08]}})
    plot.redraw()
    assert plot.curve("loss").xData[-1] == pytest.approx(4.5)  # past the last epoch end
    panel.x_combo.setCurrentIndex(panel.x_combo.findData("step"))
    assert plot.curve("loss").xData.max() == 225
    assert plot.getPlotItem().getAxis("bottom").labelText == "step"
