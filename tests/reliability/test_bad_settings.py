"""Out-of-range settings: the form's widgets keep typed values in range, training settings they
can't check end in a message, and the command line refuses with status 2 and one sentence."""

from __future__ import annotations

import pickle

import faults
import hostile
import pytest
import torch
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractSpinBox, QMessageBox, QSpinBox
from support import LONG_MS, assert_sentence

import main

SPINS = ["codeSizeSpin", "epochsSpin", "batchSizeSpin", "seedSpin", "lrSpin", "sparsitySpin",
         "rhoSpin", "contractiveSpin", "betaSpin", "noiseLevelSpin"]  # fmt: skip
TYPED = ["99999999999", "-99999999999", "1e99", "-1e-99", "abc", "nan", "inf", "-0", "0", ""]


def test_spin_boxes_keep_typed_values_in_range(window, qtbot):
    form = window.form
    for name in SPINS:
        spin = window.findChild(QAbstractSpinBox, name)
        assert spin is not None, name
        for text in TYPED:
            spin.setFocus()
            spin.selectAll()
            qtbot.keyClicks(spin, text)
            qtbot.keyClick(spin, Qt.Key.Key_Return)
            form.seed.setFocus()  # focus leaves: the box settles on a value
            assert spin.minimum() <= spin.value() <= spin.maximum(), (name, text, spin.value())
        big = 2**31 - 1 if isinstance(spin, QSpinBox) else 1e300  # the widest a box takes
        spin.setValue(big)
        assert spin.value() == spin.maximum(), name
        spin.setValue(-big)
        assert spin.value() == spin.minimum(), name
    form.model_config().validate()
    form.train_config().validate()


def test_hidden_sizes_refuse_letters_and_zero_widths_end_in_a_message(window, qtbot, choose):
    choose(window)
    hidden = window.form.hidden
    hidden.clear()
    qtbot.keyClicks(hidden, "abc;-1")
    assert hidden.text() in ("", "1")  # the validator let no letter, sign or semicolon in
    hidden.setText("0")
    model = window.session.model
    assert window.start_training()
    qtbot.waitUntil(lambda: not window.is_training(), timeout=LONG_MS)
    boxes = [b for b in window.findChildren(QMessageBox) if b.isVisible()]
    assert boxes and "hidden" in boxes[-1].text()
    assert_sentence(boxes[-1].text())
    assert window.session.model is model and window.training.train_button.isEnabled()


def test_a_model_too_big_for_memory_is_a_message_not_a_crash(window, qtbot, choose):
    faults.skip_unless_allocations_can_fail()
    choose(window, backbone="conv")
    window.form.hidden.setText("99999,99999")  # a 360 GB weight: refused at once
    assert window.start_training()
    qtbot.waitUntil(lambda: not window.is_training(), timeout=LONG_MS)
    boxes = [b for b in window.findChildren(QMessageBox) if b.isVisible()]
    assert boxes and "does not fit in the memory" in boxes[-1].text()
    assert_sentence(boxes[-1].text())


BAD_TRAIN = [
    ["--epochs", "0"], ["--epochs", "-3"], ["--epochs", "1.5"], ["--epochs", "100001"],
    ["--batch-size", "0"], ["--batch-size", "2000000"], ["--lr", "0"], ["--lr", "-1e-3"],
    ["--lr", "nan"], ["--lr", "inf"], ["--lr", "fast"], ["--code-size", "0"],
    ["--code-size", "100001"], ["--hidden", "0"], ["--hidden", "-4"], ["--hidden", "a,b"],
    ["--hidden", "100001"], ["--beta", "-1"], ["--beta", "nan"], ["--rho", "0"], ["--rho", "1"],
    ["--sparsity", "-1"], ["--contractive", "inf"], ["--noise", "gaussian:9"],
    ["--noise", "lasers:0.5"], ["--noise", ""], ["--seed", "-1"], ["--dataset", "mnits"],
    ["--dataset", "folder:/nonexistent/images"], ["--backbone", "rnn"], ["--objective", "gan"],
    ["--device", "tpu"], ["--loss", "l1"], ["--activation", "swish"], ["--unknown-flag", "1"],
]  # fmt: skip


def _refused(capsys, argv: list[str]) -> str:
    with pytest.raises(SystemExit) as caught:
        main.main(argv)
    err = capsys.readouterr().err.strip()
    assert caught.value.code == 2, (argv, err)
    assert err.count("\n") == 0, err
    assert_sentence(err)
    return err


@pytest.mark.parametrize("args", BAD_TRAIN, ids=" ".join)
def test_command_line_refuses_bad_settings(capsys, tmp_path, args):
    out = tmp_path / "run.safetensors"
    _refused(capsys, ["train", "--dataset", "digits", "--epochs", "1", "--out", str(out), *args])
    assert not out.exists()


def test_command_line_refuses_unusable_destinations_and_devices(capsys, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    empty = tmp_path / "no-images"
    empty.mkdir()
    cases = [["--out", str(tmp_path)], ["--out", str(blocker / "run.safetensors")],
             ["--dataset", f"folder:{empty}"]]  # fmt: skip
    if not torch.cuda.is_available():
        cases.append(["--device", "cuda"])
    for args in cases:
        argv = ["train", "--epochs", "1", "--out", str(tmp_path / "run.safetensors"), *args]
        _refused(capsys, argv)


def test_command_line_refuses_a_model_too_big_for_memory(capsys, tmp_path):
    faults.skip_unless_allocations_can_fail()
    argv = ["train", "--backbone", "conv", "--hidden", "99999,99999", "--out",
            str(tmp_path / "run.safetensors")]  # fmt: skip
    assert "does not fit in the memory" in _refused(capsys, argv)


def test_eval_refuses_unreadable_checkpoints(capsys, tmp_path):
    marker = tmp_path / "code-ran"
    evil = tmp_path / "evil.safetensors"
    evil.write_bytes(pickle.dumps(hostile.Payload(marker)))
    for path in [evil, tmp_path / "missing.safetensors", tmp_path]:
        _refused(capsys, ["eval", str(path), "--json"])
    assert not marker.exists()
