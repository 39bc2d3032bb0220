"""The run list: runs trained here and opened, overlaid curves, show_run, kept between starts."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QTreeWidget

from trainer import paths

LONG = 60_000  # ms: generous bounds for a shared, slow CPU; never a speed assertion


def _train(qtbot, window, choose, **kwargs) -> str:
    """Train one short run from the form like a person; the name it got in the run list."""
    before = window.runs()
    choose(window, **kwargs)
    assert window.start_training()
    qtbot.waitUntil(
        lambda: not window.is_training() and len(window.runs()) == len(before) + 1,
        timeout=LONG,
    )
    (new,) = [name for name in window.runs() if name not in before]
    return new


def test_two_runs_give_two_entries_and_two_overlaid_curves(qtbot, window, choose):
    assert window.runs() == ["digits-vae"]  # the bundled default, opened at start
    first = _train(qtbot, window, choose, objective="ae")
    second = _train(qtbot, window, choose, objective="vae")
    assert window.runs() == ["digits-vae", first, second]
    tree = window.findChild(QTreeWidget, "runList")
    assert tree is window.run_list.tree and tree.topLevelItemCount() == 3
    row = tree.topLevelItem(2)
    assert [row.text(i) for i in (0, 1, 2)] == [second, "digits", "mlp vae, code 2"]
    assert float(row.text(4)) > 0 and int(row.text(5)) > 0 and row.text(6)  # figures, when

    window.run_list.select([first, second])
    curves = window.loss.plot.run_curves()
    assert list(curves) == [first, second]
    assert all(len(c.yData) > 0 and c.isVisible() for c in curves.values())
    colours = {c.opts["pen"].color().name() for c in curves.values()}
    assert len(colours) == 2  # one colour per run
    assert not window.loss.plot.curve("loss").isVisible()  # the session's own curves give way
    assert window.loss.term_combo.isVisible()
    window.loss.term_combo.setCurrentIndex(window.loss.term_combo.findData("recon"))
    recon = window.run_list.store.history(second)["train"]["recon"]
    assert window.loss.plot.runs[second][1].n == len(recon)  # the chosen term, all its points
    window.run_list.select([second])
    assert not window.loss.plot.run_curves() and window.loss.plot.curve("loss").isVisible()


def test_show_run_switches_what_the_latent_panel_decodes(qtbot, window, choose):
    first = _train(qtbot, window, choose, objective="ae")
    second = _train(qtbot, window, choose, objective="ae", hidden="24")
    latent = window.panel("latent")
    window.tabs.show_panel("latent")
    z = np.array([0.3, -0.2], dtype=np.float32)
    decoded = {}
    for name in (first, second):
        assert window.show_run(name)
        assert window.session.config.hidden == ([16] if name == first else [24])
        latent.move_point(z)
        decoded[name] = latent.decoded().copy()
        assert np.allclose(decoded[name], window.session.decode(z[None])[0], atol=1e-5)
        assert window.run_list.current == name
    assert not np.allclose(decoded[first], decoded[second])


def test_runs_come_back_at_the_next_start_and_a_delete_can_be_undone(qtbot, make_window, choose):
    window = make_window()
    first = _train(qtbot, window, choose, objective="ae")
    second = _train(qtbot, window, choose, objective="ae", epochs=2)
    folder = paths.home() / "runs"
    assert len(list(folder.glob("*.safetensors"))) == 2 and (folder / "index.json").is_file()
    window.close()

    again = make_window()
    assert again.runs() == [first, second, "digits-vae"]  # the kept runs, then this start's
    assert again.run_list.store.get(second).figures["epochs"] == 2
    again.run_list.select([first])
    qtbot.mouseClick(again.run_list.delete_button, Qt.LeftButton)
    assert again.runs() == [second, "digits-vae"]
    again.activateWindow()
    qtbot.waitUntil(again.isActiveWindow)
    again.run_list.tree.setFocus()
    qtbot.keyClick(again.run_list.tree, Qt.Key_Z, Qt.ControlModifier)  # Undo
    assert again.runs() == [first, second, "digits-vae"]
    again.run_list.select([first])
    again.run_list.delete_selected()
    assert again.show_run(second)
    again.close()

    third = make_window()
    assert third.runs() == [second, "digits-vae"]
    assert not (folder / f"{first.replace(' ', '-')}.safetensors").exists()
    assert third.show_run(second) and third.session.config.objective == "ae"


def test_a_run_the_list_keeps_is_not_kept_again_as_an_unsaved_model(qtbot, window, choose):
    from explorer.recovery_files import recovery_files

    _train(qtbot, window, choose, objective="ae")
    qtbot.waitUntil(lambda: not window.run_list.saving(), timeout=LONG)
    assert window.run_list.holds(window.session) and window.session.dirty
    assert window.start_training()  # replaces it: the run list has it, no banner over the map
    qtbot.waitUntil(lambda: not window.is_training(), timeout=LONG)
    window.recovery.writer.wait()
    assert recovery_files() == [] and not window.banner.isVisible()
    window.session.apply_weights(window.session.snapshot()[1])  # changed since it was kept
    assert not window.run_list.holds(window.session)
    assert window.start_training()
    qtbot.waitUntil(lambda: not window.is_training(), timeout=LONG)
    window.recovery.writer.wait()
    assert len(recovery_files()) == 1 and window.banner.isVisible()
