"""Compact data at scale: uint8 storage, folder caches, the memory budget and memory-mapping."""

import os
import threading

import numpy as np
import pytest
import torch
from PIL import Image

from models import ModelConfig
from trainer import data, paths
from trainer.config import TrainConfig
from trainer.data import DatasetError, cache
from trainer.loop import Trainer

N_IMAGES = 300


@pytest.fixture
def folder(tmp_path):
    """N_IMAGES noisy PNGs of two classes (red-ish and blue-ish), of varied sizes."""
    rng = np.random.default_rng(0)
    root = tmp_path / "faces"
    for i in range(N_IMAGES):
        label = "red" if i % 2 else "blue"
        (root / label).mkdir(parents=True, exist_ok=True)
        pixels = rng.integers(0, 120, (24 + i % 7, 20, 3), dtype=np.uint8)
        pixels[..., 0 if label == "red" else 2] += 120
        Image.fromarray(pixels).save(root / label / f"{i:04d}.png")
    return root


def _files():
    return sorted(paths.cache_dir().glob("*.u8"))


def _floats(ds):
    return data.as_float(torch.cat([ds.train_x, ds.test_x]))


def test_catalogue_images_are_stored_as_uint8_and_their_floats_round_trip():
    for name in ("digits", "shapes", "shapes-colour"):
        ds = data.load(name)
        assert ds.train_x.dtype == ds.test_x.dtype == torch.uint8
        floats = data.as_float(ds.test_x)
        assert floats.dtype == torch.float32 and 0 <= float(floats.min()) < float(floats.max()) <= 1
        assert torch.equal(data.to_pixels(floats), ds.test_x)  # pixels -> floats -> pixels
    source, _ = data.shapes.generate_colour(64, seed=3, size=16)  # floats before storage
    stored = data.to_pixels(source)
    assert stored.dtype == torch.uint8
    assert float((data.as_float(stored) - source).abs().max()) <= 0.5 / 255 + 1e-7
    assert data.as_float(source) is source  # float images pass through as they are


def test_a_folder_is_read_at_any_size_and_colour_and_its_cache_is_reused(folder):
    told = []
    colour = data.load(f"folder:{folder}", size=28, grey=False, progress=lambda *a: told.append(a))
    assert colour.shape == (3, 28, 28) and colour.train_x.dtype == torch.uint8
    assert len(colour.train_x) + len(colour.test_x) == N_IMAGES and colour.skipped == 0
    assert colour.classes == ["blue", "red"] and not colour.reused and not colour.mapped
    assert told[-1] == (N_IMAGES, N_IMAGES) and len(told) > 10  # progress as files are read
    red = _floats(colour)[torch.cat([colour.train_y, colour.test_y]) == 1]
    assert float(red[:, 0].mean()) > float(red[:, 2].mean()) + 0.3  # colour is kept

    grey = data.load(f"folder:{folder}", size=16, grey=True)
    assert grey.shape == (1, 16, 16) and not grey.reused
    assert torch.equal(grey.test_y, colour.test_y)  # one fixed split whatever the size
    assert len(_files()) == 2  # one cache per size and colour

    stamps = {f: f.stat().st_mtime_ns for f in _files()}
    data.clear_cache()  # a new process, as far as loading goes
    again = data.load(f"folder:{folder}", size=28, grey=False)
    assert again.reused and torch.equal(again.train_x, colour.train_x)
    assert {f: f.stat().st_mtime_ns for f in _files()} == stamps  # nothing was rewritten


def test_a_changed_file_rebuilds_the_cache(folder):
    first = data.load(f"folder:{folder}", size=16, grey=True)
    (old,) = _files()
    target = folder / "red" / "0001.png"
    os.utime(target, ns=(target.stat().st_atime_ns, target.stat().st_mtime_ns + 10**9))
    touched = data.load(f"folder:{folder}", size=16, grey=True)
    assert not touched.reused and torch.equal(touched.train_x, first.train_x)  # same pixels
    (rebuilt,) = _files()  # the stale cache is gone
    assert rebuilt != old and not old.exists()
    Image.new("RGB", (20, 20), (255, 255, 255)).save(target)  # replaced by a white image
    replaced = data.load(f"folder:{folder}", size=16, grey=True)
    assert not replaced.reused and not torch.equal(replaced.train_x, first.train_x)
    assert int(_floats(replaced).flatten(1).min(1).values.max() * 255) == 255  # the white one


def test_unreadable_files_are_skipped_and_counted(folder):
    (folder / "red" / "broken.png").write_bytes(b"\x89PNG not really")
    (folder / "notes.txt").write_text("not an image")
    ds = data.load(f"folder:{folder}", size=16)
    assert ds.skipped == 2 and len(ds.train_x) + len(ds.test_x) == N_IMAGES


def test_reading_a_folder_can_be_cancelled_and_leaves_no_cache(folder):
    cancel = threading.Event()

    def progress(done, total):
        if done >= 50:
            cancel.set()

    with pytest.raises(DatasetError, match=r"cancelled after \d+ of 300 files.*nothing was cached"):
        data.load(f"folder:{folder}", size=16, progress=progress, cancel=cancel)
    assert not list(paths.cache_dir().iterdir())  # no part file, no metadata
    assert len(data.load(f"folder:{folder}", size=16).train_x) > 0  # a later read works


def test_beyond_the_memory_budget_a_folder_is_memory_mapped_and_trains_the_same(folder):
    in_ram = data.load(f"folder:{folder}", size=16, grey=True)
    data.clear_cache()
    mapped = data.load(f"folder:{folder}", size=16, grey=True, budget=10_000)
    assert mapped.mapped and not in_ram.mapped and mapped.reused
    assert torch.equal(mapped.train_x, in_ram.train_x) and torch.equal(mapped.test_y, in_ram.test_y)
    model = ModelConfig(input_shape=(1, 16, 16), hidden=[32], code_size=4)
    histories = []
    for ds in (in_ram, mapped):
        trainer = Trainer(model, TrainConfig(epochs=2, batch_size=32, seed=1), ds)
        *_, last = trainer.run()
        assert last.done and not last.error
        histories.append(trainer.history["val"]["loss"])
    assert histories[0] == pytest.approx(histories[1], rel=1e-6)  # the same batches


def test_a_catalogue_dataset_beyond_the_budget_is_spilled_to_a_mapped_file():
    whole = data.load("digits")
    spilled = data.load("digits", budget=1000)
    assert spilled.mapped and len(_files()) == 1
    assert torch.equal(spilled.train_x, whole.train_x) and spilled.classes == whole.classes


def test_the_memory_budget_defaults_to_a_share_of_ram_and_reads_sizes(monkeypatch):
    monkeypatch.delenv(cache.BUDGET_ENV, raising=False)
    assert data.memory_budget() == int(cache.BUDGET_FRACTION * cache.ram_bytes()) > 0
    monkeypatch.setenv(cache.BUDGET_ENV, "1.5G")
    assert data.memory_budget() == int(1.5 * 2**30)
    data.set_memory_budget("500M")
    try:
        assert data.memory_budget() == 500 * 2**20
    finally:
        data.set_memory_budget(None)
    assert cache.parse_size("123") == 123 and cache.parse_size("2gb") == 2 * 2**30
    with pytest.raises(ValueError, match="memory budget must be a size like 500M"):
        cache.parse_size("lots")


def test_train_takes_size_and_colour_flags_and_eval_reopens_the_folder_so(folder, tmp_path, capsys):
    import main
    from trainer import checkpoint

    out = tmp_path / "faces.safetensors"
    args = ["train", "--dataset", f"folder:{folder}", "--size", "12", "--colour", "--epochs",
            "1", "--backbone", "mlp", "--hidden", "16", "--out", str(out)]  # fmt: skip
    assert main.main(args) == 0
    assert f"Reading images: {N_IMAGES:,} of {N_IMAGES:,} files" in capsys.readouterr().err
    saved = checkpoint.load(out)
    assert tuple(saved.model_config.input_shape) == (3, 12, 12)
    assert (saved.train_config.size, saved.train_config.channels) == (12, "colour")
    data.clear_cache()
    reopened = data.load_for(saved.dataset, saved.model_config.input_shape)
    assert reopened.reused and reopened.shape == (3, 12, 12) and len(_files()) == 1
    assert main.main(["eval", str(out), "--json"]) == 0
    # --grey is --channels grey; a catalogue dataset is resized and greyed the same way
    grey = tmp_path / "grey.safetensors"
    args = ["train", "--dataset", "shapes-colour", "--size", "8", "--grey", "--epochs", "1",
            "--backbone", "mlp", "--hidden", "16", "--out", str(grey)]  # fmt: skip
    assert main.main(args) == 0
    saved = checkpoint.load(grey)
    assert tuple(saved.model_config.input_shape) == (1, 8, 8)
    assert data.load_for("shapes-colour", (1, 8, 8)).shape == (1, 8, 8)


def test_the_form_offers_the_image_size_and_colour(qtbot):
    from PySide6.QtWidgets import QComboBox, QSpinBox

    from explorer.training.form import TrainingForm

    form = TrainingForm()
    qtbot.addWidget(form)
    size = form.findChild(QSpinBox, "sizeSpin")
    channels = form.findChild(QComboBox, "channelsCombo")
    assert size.specialValueText() == "own" and size.value() == 0
    assert [channels.itemData(i) for i in range(channels.count())] == ["own", "grey", "colour"]
    size.setValue(20)
    channels.setCurrentIndex(channels.findData("colour"))
    config = form.train_config()
    assert (config.size, config.channels) == (20, "colour")
    assert data.options(config) == {"size": 20, "grey": False}
    assert data.options(TrainConfig()) == {}
