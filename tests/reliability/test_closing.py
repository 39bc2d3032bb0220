"""Closing the window at any moment: saved files stay byte-identical, unsaved training goes to
the recovery file, and no thread, job or process is left behind."""

from __future__ import annotations

import gc
import os

import numpy as np
from children import children_of, gone, shared_block_exists
from PySide6.QtCore import QThreadPool
from support import GRID, LONG_MS, os_threads

from explorer.recovery_files import recovery_path
from trainer import checkpoint, runner


def _children() -> list[int]:
    """Processes whose parent is this one, but multiprocessing's fork server and resource
    tracker (they serve every run and end with the app; runs are the fork server's children)."""
    return sorted(set(children_of(os.getpid())) - runner.helper_pids())


def _nothing_left(qtbot, threads: list[str], pids=(), blocks=()) -> None:
    pool = QThreadPool.globalInstance()
    assert pool.waitForDone(LONG_MS) and pool.activeThreadCount() == 0
    qtbot.waitUntil(lambda: os_threads() == threads, timeout=LONG_MS)
    gc.collect()
    assert not any(type(o) is runner.Run for o in gc.get_objects())
    assert _children() == []
    assert all(gone(pid) for pid in pids)  # the training process, by its PID: not even a zombie
    assert not any(shared_block_exists(name) for name in blocks)


def _child(window) -> tuple[int, str]:
    child = window.run.child
    return child.pid, child.shm_name


def test_close_right_after_open_writes_nothing_and_leaves_nothing(qtbot, make_window):
    threads = os_threads()
    window = make_window()
    window.close()
    assert not recovery_path().exists()  # the bundled model was not changed
    _nothing_left(qtbot, threads)


def test_close_while_training_keeps_saved_files_and_recovers_the_run(
    qtbot, tmp_path, choose, make_window
):
    threads = os_threads()
    window = make_window()
    saved = window.save_checkpoint(tmp_path / "told-saved.safetensors")
    saved_bytes = saved.read_bytes()
    choose(window, epochs=500, batch_size=16)
    assert window.start_training()
    qtbot.waitUntil(lambda: window.run.step > 20, timeout=LONG_MS)
    pid, block = _child(window)
    window.close()
    assert saved.read_bytes() == saved_bytes
    kept = checkpoint.load(recovery_path())
    assert kept.model_config.hidden == [16] and kept.train_config.epochs == 500
    assert kept.history["train"]["step"][-1] > 20
    _nothing_left(qtbot, threads, [pid], [block])


def test_close_while_loading_leaves_nothing(qtbot, choose, make_window):
    threads = os_threads()
    window = make_window()
    choose(window)
    assert window.start_training()
    window.close()  # the process may not even be started yet
    _nothing_left(qtbot, threads)
    assert not window.is_training()


def test_close_after_an_unsaved_run_keeps_it_exactly(qtbot, choose, make_window):
    window = make_window()
    choose(window, epochs=1)
    assert window.start_training()
    qtbot.waitUntil(lambda: not window.is_training(), timeout=LONG_MS)
    decoded = window.session.decode(GRID)
    window.close()
    restored = checkpoint.load(recovery_path()).build_model()
    window.session.set_model(restored, window.session.dataset)
    assert np.allclose(window.session.decode(GRID), decoded, atol=1e-6)


def test_close_during_a_background_job_cancels_it(qtbot, tmp_path, make_window):
    threads = os_threads()
    window = make_window()
    saved = window.save_checkpoint(tmp_path / "told-saved.safetensors")
    saved_bytes = saved.read_bytes()
    features = window.panel("features")
    window.tabs.setCurrentWidget(features)
    features.steps.setValue(features.steps.maximum())  # minutes of work if left to run
    features.per_class.setValue(features.per_class.maximum())
    features.run_pretraining()
    assert features.busy()
    qtbot.waitUntil(lambda: features.pre_job.bar.value() > 0, timeout=LONG_MS)  # under way
    window.close()
    assert not features.busy()  # told to stop at its next step; its result is dropped
    _nothing_left(qtbot, threads)
    assert features.pretraining_results() is None
    assert saved.read_bytes() == saved_bytes and not recovery_path().exists()
