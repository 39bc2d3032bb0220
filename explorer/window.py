"""The main window: training dock (left), loss curves (bottom), explorer panels (centre)."""

from __future__ import annotations

from pathlib import Path

import pyqtgraph as pg
from PySide6.QtCore import QSettings, Qt, QTimer
from PySide6.QtWidgets import (
    QDockWidget,
    QFileDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from explorer.bundled import DEFAULT_CHECKPOINT, FILTER, load_checkpoint
from explorer.jobs import Job
from explorer.menus import build_menus
from explorer.panels import PANELS
from explorer.recovery import (
    RecoveryBanner,
    RecoveryWriter,
    discard_recovery,
    recovery_path,
    write_recovery,
)
from explorer.session import Session, use_one_gui_thread
from explorer.training.controls import TrainingPanel
from explorer.training.loss_plot import LossPanel
from explorer.training.run import TrainingRun
from models import ModelConfig, build
from trainer import checkpoint
from trainer.checkpoint import CheckpointError
from trainer.data import load
from trainer.paths import home


class MainWindow(QMainWindow):
    """Latent Explorer's window; opens `checkpoint` or the bundled default."""

    def __init__(self, checkpoint: str | Path | None = None, *, open_later: bool = False) -> None:
        """`open_later`: open the checkpoint once the event loop runs, so the window shows
        first (what `run_app` does); the panels say they are loading meanwhile."""
        super().__init__()
        use_one_gui_thread()  # panels' torch work stays off the cores a run trains on
        pg.setConfigOptions(antialias=True, background="w", foreground="#333")
        self.setObjectName("mainWindow")
        self.settings = QSettings(str(home() / "settings.ini"), QSettings.Format.IniFormat)
        self.session = Session(self)
        self.training = TrainingPanel()
        self.form = self.training.form
        self.loss = LossPanel()
        self.run = TrainingRun(self.session, self)
        self.training.follow(self.run)
        self.loss.follow(self.run)

        self.banner = RecoveryBanner()
        self.tabs = QTabWidget(objectName="panelTabs", documentMode=True)
        self._panels: dict[str, QWidget] = {}  # built when first shown or asked for
        for _name, title, _cls in PANELS:
            self.tabs.addTab(QWidget(), title)  # a placeholder until the panel is built
        self.tabs.currentChanged.connect(lambda index: index >= 0 and self._build_tab(index))
        if PANELS:
            self._build_tab(0)
        else:
            empty = QLabel("No explorer panels are installed.", alignment=Qt.AlignCenter)
            self.tabs.addTab(empty, "Explorer")
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(4, 4, 4, 0)
        layout.addWidget(self.banner)
        layout.addWidget(self.tabs, 1)
        self.setCentralWidget(central)
        self.docks = [
            self._dock("trainingDock", "Training", self.training, Qt.LeftDockWidgetArea),
            self._dock("lossDock", "Loss curves", self.loss, Qt.BottomDockWidgetArea),
        ]
        self.actions_by_name = build_menus(self)
        self._status_labels = {k: QLabel() for k in ("device", "dataset", "model", "state")}
        for label in self._status_labels.values():
            self.statusBar().addPermanentWidget(label)

        self.session.modelChanged.connect(self._on_model_changed)
        self.session.historyChanged.connect(lambda: self.loss.set_history(self.session.history))
        self.session.weightsChanged.connect(self._update_status)
        self.session.trainRequested.connect(self._on_train_requested)
        self.training.trainClicked.connect(self.start_training)
        self.training.pauseClicked.connect(self.toggle_pause)
        self.training.stopClicked.connect(self.stop_training)
        self.run.stateChanged.connect(self._update_status)
        self.run.message.connect(lambda text: self.statusBar().showMessage(text, 8000))
        self.run.failed.connect(self.show_error)
        self.run.finished.connect(lambda result: result.error and self.show_error(result.error))
        self.recovery = RecoveryWriter(self)
        self.recovery.written.connect(lambda path: path is not None and self.banner.offer(path))
        self.run.replacing.connect(lambda: self._keep_unsaved(background=True))
        self.form.device.currentIndexChanged.connect(self._update_status)
        self.banner.restoreClicked.connect(self._restore_recovery)
        self.banner.discardClicked.connect(self._discard_recovery)

        self.setCorner(Qt.BottomLeftCorner, Qt.LeftDockWidgetArea)  # the form gets full height
        self.resize(1360, 860)
        self.resizeDocks([self.docks[0]], [330], Qt.Horizontal)
        self.resizeDocks([self.docks[1]], [240], Qt.Vertical)
        self._restore_settings()
        if open_later:
            self.statusBar().showMessage("Loading the model...")
            QTimer.singleShot(0, lambda: self._open_initial(checkpoint))
        else:
            self._open_initial(checkpoint)
        if recovery_path().exists():
            self.banner.offer(recovery_path())

    def _dock(self, name: str, title: str, widget: QWidget, area) -> QDockWidget:
        dock = QDockWidget(title, self, objectName=name)
        dock.setWidget(widget)
        dock.setFeatures(QDockWidget.DockWidgetMovable | QDockWidget.DockWidgetFloatable)
        self.addDockWidget(area, dock)
        return dock

    # -- the test contract -----------------------------------------------------------------
    def start_training(self) -> bool:
        """Train a new model from the form's settings in the background."""
        self.settings.setValue("form/config", self.form.to_json())
        return self.run.start(self.form.model_config(), self.form.train_config())

    def stop_training(self) -> None:
        self.run.stop()

    def toggle_pause(self) -> None:
        self.run.toggle_pause()

    def is_training(self) -> bool:
        return self.run.is_training()

    def panel(self, name: str) -> QWidget:
        names = [n for n, _, _ in PANELS]
        if name not in names:
            raise KeyError(f"no panel {name!r}: the panels are {', '.join(names)}.")
        if name not in self._panels:
            self._build_tab(names.index(name))
        return self._panels[name]

    def _build_tab(self, index: int) -> None:
        """Build the panel of tab `index` in place of its placeholder (panels are built when
        first shown or asked for: building all eight took half the window's start-up)."""
        name, title, cls = PANELS[index]
        if name in self._panels:
            return
        panel = self._panels[name] = cls(self.session)
        current = self.tabs.currentIndex()
        self.tabs.blockSignals(True)
        placeholder = self.tabs.widget(index)
        self.tabs.removeTab(index)
        self.tabs.insertTab(index, panel, title)
        self.tabs.setCurrentIndex(current)
        self.tabs.blockSignals(False)
        placeholder.deleteLater()

    def open_checkpoint(self, path: str | Path) -> None:
        """Open a checkpoint; CheckpointError (current model kept) when it can't be read."""
        ckpt, model, dataset = load_checkpoint(path)
        self.run.shutdown()
        self._keep_unsaved()
        path = Path(path)
        self.session.set_model(model, dataset, ckpt.history, ckpt.train_config, path=path)
        if path.resolve() != DEFAULT_CHECKPOINT.resolve():
            self.recent.add(path)
            self.form.set_configs(ckpt.model_config, ckpt.train_config)
        self.statusBar().showMessage(f"Opened {path.name}", 8000)

    def save_checkpoint(self, path: str | Path) -> Path:
        """Save the session's model, its training settings and history (atomic)."""
        s = self.session
        dataset = s.dataset.name if s.dataset is not None else "digits"
        saved = checkpoint.save(
            path, s.model, train_config=s.train_config, dataset=dataset, history=s.history
        )
        s.path, s.dirty = Path(path), False
        self.recent.add(path)
        self._update_status()
        self.statusBar().showMessage(f"Saved {Path(path).name}", 8000)
        return saved

    # -- menu actions (these may open dialogs) ---------------------------------------------
    def new_run(self) -> None:
        self.form.reset()
        self.statusBar().showMessage("New run: choose the settings, then Train (Ctrl+T).", 8000)

    def open_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open checkpoint", self._folder(), FILTER)
        if path:
            self.open_interactive(path)

    def open_interactive(self, path: str) -> bool:
        """Open `path`; on failure show the reason and keep the current model."""
        try:
            self.open_checkpoint(path)
        except CheckpointError as error:
            self.show_error(str(error))
            return False
        return True

    def save(self) -> None:
        path = self.session.path
        if path is None or Path(path).resolve() == DEFAULT_CHECKPOINT.resolve():
            self.save_as_dialog()
        else:
            self._save_interactive(path)

    def save_as_dialog(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Save checkpoint", self._folder(), FILTER)
        if path:
            self._save_interactive(path if path.endswith(".safetensors") else path + ".safetensors")

    def _save_interactive(self, path) -> None:
        try:
            self.save_checkpoint(path)
        except (OSError, CheckpointError, ValueError) as error:
            self.show_error(f"Could not save {Path(path).name}: {error}")

    def export_dialog(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self, "Export loss history", self._folder(), "CSV (*.csv)"
        )
        if path:
            try:
                self.loss.plot.export_csv(path)
            except OSError as error:
                self.show_error(f"Could not write {Path(path).name}: {error}")

    def _folder(self) -> str:
        recent = self.recent.paths()
        return str(Path(recent[0]).parent) if recent else str(Path.home())

    def show_error(self, text: str) -> None:
        """Status bar line plus a non-modal message box; the app keeps running."""
        self.statusBar().showMessage(text, 15000)
        box = QMessageBox(QMessageBox.Warning, "Latent Explorer", text, parent=self)
        box.setObjectName("errorMessage")
        box.setAttribute(Qt.WA_DeleteOnClose)
        box.setWindowModality(Qt.NonModal)
        box.show()

    # -- internals -------------------------------------------------------------------------
    def _open_initial(self, path) -> None:
        self._open_first(path)
        if not self._form_restored:  # no saved settings: start from the model's
            self.form.set_configs(self.session.config, self.session.train_config)

    def _open_first(self, path) -> None:
        if path is not None:
            try:
                self.open_checkpoint(path)
                return
            except CheckpointError as error:
                self.show_error(str(error))
        try:
            self.open_checkpoint(DEFAULT_CHECKPOINT)
        except CheckpointError as error:  # no bundled model: an untrained one keeps panels alive
            data = load("digits")
            self.session.set_model(build(ModelConfig(input_shape=data.shape)), data)
            self.statusBar().showMessage(str(error), 15000)

    def _restore_settings(self) -> None:
        s = self.settings
        if s.value("window/geometry"):
            self.restoreGeometry(s.value("window/geometry"))
            self.restoreState(s.value("window/state"))
        text = s.value("form/config")
        self._form_restored = bool(text and self.form.from_json(text))
        self.loss.log_check.setChecked(s.value("plot/log", True, type=bool))

    def _save_settings(self) -> None:
        s = self.settings
        s.setValue("window/geometry", self.saveGeometry())
        s.setValue("window/state", self.saveState())
        s.setValue("form/config", self.form.to_json())
        s.setValue("plot/log", self.loss.log_check.isChecked())
        s.sync()

    def _on_model_changed(self) -> None:
        self.loss.set_history(self.session.history)
        self._update_status()

    def _on_train_requested(self, config: ModelConfig) -> None:
        if self.is_training():
            self.statusBar().showMessage("Stop the current run before training another.", 8000)
            return
        self.form.set_configs(config)
        self.start_training()

    def _update_status(self) -> None:
        busy = self.is_training()
        for key in ("open", "new"):
            self.actions_by_name[key].setEnabled(not busy)
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

    def _keep_unsaved(self, offer: bool = True, background: bool = False) -> bool:
        """Before the session model is replaced: write an unsaved model to the recovery file
        and offer it back on the banner; True when one was kept (background: it is being
        written, off the GUI thread, and offered once it is)."""
        s = self.session
        self.recovery.wait()
        if not (s.dirty and s.model is not None):
            return False
        dataset = s.dataset.name if s.dataset is not None else "digits"
        kept = {"train_config": s.train_config, "dataset": dataset, "history": s.history}
        if background:  # a new run: the model object is replaced, never changed, from here
            self.recovery.write(s.model, **kept)
            return True
        written = write_recovery(s.model, **kept)
        if written is not None and offer:
            self.banner.offer(written)
        return written is not None

    def _restore_recovery(self) -> None:
        if self.is_training():
            return
        self.recovery.wait()
        try:
            ckpt, model, dataset = load_checkpoint(recovery_path())
        except CheckpointError as error:
            self.show_error(f"The recovery file can't be restored: {error}")
            self._discard_recovery()
            return
        if not self._keep_unsaved():  # the current unsaved model takes the file's place
            self._discard_recovery()
        self.session.set_model(model, dataset, ckpt.history, ckpt.train_config, path=None)
        self.statusBar().showMessage("Restored the unsaved model: save it with Ctrl+S.", 8000)

    def _discard_recovery(self) -> None:
        self.recovery.wait()
        discard_recovery()
        self.banner.hide()

    def closeEvent(self, event) -> None:
        """Stop training (bounded wait), keep an unsaved model in the recovery file, no question."""
        for job in self.findChildren(Job):  # background jobs stop at their next report
            job.invalidate()
        self.run.shutdown()  # bounded; the newest weights it sent are in the session
        self._keep_unsaved(offer=False)
        self._save_settings()
        event.accept()
