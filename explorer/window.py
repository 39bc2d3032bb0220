"""The main window: training dock (left), loss curves (bottom), explorer panels (centre).

This module composes the parts and holds the test-contract methods; the parts live beside it:
`menus` (the menu bar), `dialogs` (what the menus ask and tell), `settings` (what is kept
between starts), `recovery` (unsaved models), `panels.tabs` (the panels, built when shown),
`training` (the run, its form, buttons and loss plot).
"""

from __future__ import annotations

from pathlib import Path

import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QAbstractButton,
    QDockWidget,
    QLabel,
    QMainWindow,
    QVBoxLayout,
    QWidget,
)

from explorer.bundled import DEFAULT_CHECKPOINT, load_checkpoint
from explorer.dialogs import FileDialogs
from explorer.geometry import fit_window
from explorer.hints import FirstRunHint
from explorer.jobs import Job
from explorer.keys import RunKeys
from explorer.menus import build_menus
from explorer.panels.tabs import PanelTabs
from explorer.recovery import Recovery, RecoveryBanner
from explorer.session import Session, use_one_gui_thread
from explorer.settings import Settings
from explorer.training.controls import TrainingPanel
from explorer.training.loss_panel import LossPanel
from explorer.training.run import IDLE, TrainingRun
from explorer.training.run_list import RunList
from models import ModelConfig, build
from trainer import checkpoint
from trainer.checkpoint import CheckpointError
from trainer.data import load


class MainWindow(QMainWindow):
    """Latent Explorer's window; opens `checkpoint` or the bundled default."""

    def __init__(self, checkpoint: str | Path | None = None, *, open_later: bool = False) -> None:
        """`open_later`: open the checkpoint once the event loop runs, so the window shows
        first (what `run_app` does); the panels say they are loading meanwhile."""
        super().__init__()
        use_one_gui_thread()  # panels' torch work stays off the cores a run trains on
        pg.setConfigOptions(antialias=True, background="w", foreground="#333")
        self.setObjectName("mainWindow")
        self.settings = Settings()
        self.session = Session(self)
        self.training = TrainingPanel()
        self.form = self.training.form
        self.loss = LossPanel()
        self.run = TrainingRun(self.session, self)
        self.training.follow(self.run)
        self.loss.follow(self.run, self.session)
        self.run_list = RunList()  # the runs trained here (kept) and opened
        self.session.runs = self.run_list.store  # what the compare view chooses from
        self.run_list.changed.connect(self.session.runsChanged)
        self.files = FileDialogs(self)

        self.tabs = PanelTabs(self.session)
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(4, 4, 4, 0)
        layout.addWidget(self.tabs, 1)
        self.banner = RecoveryBanner(central)  # floats over the panels: moves none of them
        self.hint = FirstRunHint(central)
        self.setCentralWidget(central)
        self.docks = [
            self._dock("trainingDock", "Training", self.training, Qt.LeftDockWidgetArea),
            self._dock("lossDock", "Loss curves", self.loss, Qt.BottomDockWidgetArea),
            self._dock("runsDock", "Runs", self.run_list, Qt.LeftDockWidgetArea),
        ]
        self.tabifyDockWidget(self.docks[0], self.docks[2])  # a tab beside the form
        self.docks[0].raise_()
        self.actions_by_name = build_menus(self)
        self.keys = RunKeys(self, self.stop_training, self.toggle_pause)
        self._status_labels = {k: QLabel() for k in ("device", "dataset", "model", "state")}
        for label in self._status_labels.values():
            self.statusBar().addPermanentWidget(label)
        self.recovery = Recovery(self.session, self.banner, self.is_training, self)
        self.run.stateChanged.connect(self.recovery.follow)

        self.session.modelChanged.connect(self._update_status)
        self.session.modelChanged.connect(self._show_model_settings)
        self.session.weightsChanged.connect(self._update_status)
        self.session.fileChanged.connect(self._update_status)
        self.session.trainRequested.connect(self._on_train_requested)
        self.session.openRequested.connect(self._on_open_requested)
        self.training.trainClicked.connect(self.start_training)
        self.training.pauseClicked.connect(self.toggle_pause)
        self.training.stopClicked.connect(self.stop_training)
        self.training.continueClicked.connect(self.continue_training)
        self.run.stateChanged.connect(self._update_status)
        self.run.message.connect(self._status)
        self.run.failed.connect(self.files.show_error)
        self.run.finished.connect(
            lambda result: result.error and self.files.show_error(result.error)
        )
        self.run.replacing.connect(self._keep_replaced)
        self.recovery.message.connect(self._status)
        self.run.finished.connect(lambda result: self.run_list.add_finished(result, self.session))
        self.run_list.overlayChanged.connect(self.loss.overlay)
        self.run_list.showRequested.connect(self._show_run_asked)
        self.run_list.message.connect(self._status)
        self.run_list.failed.connect(self.files.show_error)
        self.recovery.failed.connect(self.files.show_error)
        self.form.device.currentIndexChanged.connect(self._update_status)

        self.setCorner(Qt.BottomLeftCorner, Qt.LeftDockWidgetArea)  # the form gets full height
        self.docks[0].setMinimumWidth(280)  # the form never narrows to a strip
        self.docks[1].setMinimumHeight(200)  # nor the loss curves (their axis label fits)
        fit_window(self, first=True)
        self.resizeDocks([self.docks[0]], [330], Qt.Horizontal)
        self.resizeDocks([self.docks[1]], [240], Qt.Vertical)
        self.settings.restore(self)
        fit_window(self)  # a geometry saved on a bigger screen comes back inside this one
        self.hint.dismissed.connect(self.settings.hint_seen)
        self.run.stateChanged.connect(lambda state, _: state != "idle" and self.hint.dismiss())
        on_map = lambda *_: self.tabs.current_name() == "latent"  # noqa: E731
        self.tabs.currentChanged.connect(lambda *_: self.hint.show_here(on_map()))
        if not self.settings.was_hint_seen():
            self.hint.offer(on_map())
        if open_later:
            self.statusBar().showMessage("Loading the model...")
            QTimer.singleShot(0, lambda: self._open_initial(checkpoint))
        else:
            self._open_initial(checkpoint)

    def _dock(self, name: str, title: str, widget: QWidget, area) -> QDockWidget:
        dock = QDockWidget(title, self, objectName=name)
        dock.setWidget(widget)
        dock.setFeatures(  # closable: the View menu hides and shows it
            QDockWidget.DockWidgetMovable
            | QDockWidget.DockWidgetFloatable
            | QDockWidget.DockWidgetClosable
        )
        for float_button in dock.findChildren(QAbstractButton, "qt_dockwidget_floatbutton"):
            float_button.setToolTip(f"Float the {title} panel in its own window")
        for close_button in dock.findChildren(QAbstractButton, "qt_dockwidget_closebutton"):
            close_button.setToolTip(f"Hide the {title} panel (the View menu shows it again)")
        self.addDockWidget(area, dock)
        return dock

    # -- the test contract -----------------------------------------------------------------
    def start_training(self) -> bool:
        """Train a new model from the form's settings in the background."""
        return self.run.start(self.form.model_config(), self.form.train_config())

    def continue_training(self) -> bool:
        """Train the session's model on from where it stopped (same model, history continued)."""
        return self.run.continue_run()

    def stop_training(self) -> None:
        self.run.stop()

    def toggle_pause(self) -> None:
        self.run.toggle_pause()

    def is_training(self) -> bool:
        return self.run.is_training()

    def panel(self, name: str) -> QWidget:
        """The explorer panel `name` (see explorer.panels.PANELS), built if need be."""
        return self.tabs.panel(name)

    def open_checkpoint(self, path: str | Path) -> None:
        """Open a checkpoint; CheckpointError (current model kept) when it can't be read."""
        ckpt, model, dataset = load_checkpoint(path)
        self.run.shutdown()
        self.recovery.keep_unsaved()
        path = Path(path)
        self.session.set_model(model, dataset, ckpt.history, ckpt.train_config, path=path)
        self.run_list.add_opened(path, ckpt)
        if path.resolve() != DEFAULT_CHECKPOINT.resolve():
            self.recent.add(path)
        self._status(f"Opened {path.name}")

    def runs(self) -> list[str]:
        """The run list's names, oldest first: runs trained here (kept between starts) and
        checkpoints opened."""
        return self.run_list.names()

    def show_run(self, name: str) -> bool:
        """Make run `name` the one the panels show (False while training); KeyError for an
        unknown name, CheckpointError when its file can't be read (current model kept)."""
        record = self.run_list.store.get(name)
        if self.is_training():
            self._status("Stop the current run before showing another.")
            return False
        ckpt, model, dataset = load_checkpoint(record.path)
        if not self.run_list.holds(self.session):  # a run in the list needs no recovery file
            self.recovery.keep_unsaved()
        self.session.set_model(model, dataset, ckpt.history, ckpt.train_config, record.path)
        self.run_list.set_current(name)
        self._status(f"Showing {name}")
        return True

    def save_checkpoint(self, path: str | Path) -> Path:
        """Save the session's model, its training settings and history (atomic)."""
        s = self.session
        dataset = s.dataset.name if s.dataset is not None else "digits"
        saved = checkpoint.save(
            path, s.model, train_config=s.train_config, dataset=dataset, history=s.history
        )
        s.mark_saved(path)
        self.recent.add(path)
        self._status(f"Saved {Path(path).name}")
        return saved

    # -- internals -------------------------------------------------------------------------
    def _show_model_settings(self) -> None:
        """The form shows the open model's settings (opened, restored or bundled), so Train
        builds what the status bar names; a run's own new model leaves the form as it is."""
        if self.run.state == IDLE:
            self.form.set_configs(self.session.config, self.session.train_config)

    def _open_initial(self, path) -> None:
        if path is not None:
            try:
                self.open_checkpoint(path)
                return
            except CheckpointError as error:
                self.files.show_error(str(error))
        try:
            self.open_checkpoint(DEFAULT_CHECKPOINT)
        except CheckpointError as error:  # no bundled model: an untrained one keeps panels alive
            data = load("digits")
            self.session.set_model(build(ModelConfig(input_shape=data.shape)), data)
            self.statusBar().showMessage(str(error), 15000)

    def _on_train_requested(self, request) -> None:
        """`request`: a ModelConfig, or (ModelConfig, dataset name) to train on that data."""
        if self.is_training():
            self._status("Stop the current run before training another.")
            return
        config, dataset = request if isinstance(request, tuple) else (request, None)
        if dataset is not None:
            self.form.set_dataset(dataset)
        self.form.set_configs(config)
        self.start_training()

    def _on_open_requested(self, path) -> None:
        if self.is_training():
            self._status("Stop the current run before opening another model.")
            return
        self.files.open_interactive(str(path))

    def _keep_replaced(self) -> None:
        """A new run replaces the model: keep it unless the run list already does."""
        if not self.run_list.holds(self.session):
            self.recovery.keep_unsaved(background=True)

    def _show_run_asked(self, name: str) -> None:
        try:
            self.show_run(name)
        except CheckpointError as error:
            self.files.show_error(str(error))

    def _status(self, text: str) -> None:
        self.statusBar().showMessage(text, 8000)

    def _update_status(self) -> None:
        busy = self.is_training()
        for key in ("open", "new"):
            self.actions_by_name[key].setEnabled(not busy)
        self.keys.set_running(busy)
        self.actions_by_name["continue"].setEnabled(self.run.can_continue())
        self.training.continue_button.setEnabled(self.run.can_continue())
        self.recent.menu.setEnabled(not busy)
        self.banner.restore_button.setEnabled(not busy)  # a restore would orphan the run
        s, labels = self.session, self._status_labels
        labels["device"].setText(f"Device: {self.form.device.currentData()}")
        labels["dataset"].setText(f"Dataset: {s.dataset.name if s.dataset else '-'}")
        c = s.config
        labels["model"].setText(
            f"Model: {c.backbone} {c.objective}, code {c.code_size}" if c else ""
        )
        labels["state"].setText(self.run.state.capitalize())
        name = Path(s.path).name if s.path else "unsaved model"
        self.setWindowTitle(f"{name}[*] \u2014 Latent Explorer")
        self.setWindowModified(s.dirty)

    def closeEvent(self, event) -> None:
        """Stop training (bounded wait), keep an unsaved model in the recovery file, no question."""
        for job in self.findChildren(Job):  # background jobs stop at their next report
            job.invalidate()
        self.run.shutdown()  # bounded; the newest weights it sent are in the session
        self.recovery.keep_unsaved(offer=False)
        self.run_list.store.purge()  # deleted runs' files: no undo after this
        self.settings.save(self)
        event.accept()
