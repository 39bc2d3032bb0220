"""Checkpoints as real files: exact round trips, refusal of anything else, atomic saves."""

import json
import os
import pickle
import struct
from pathlib import Path

import pytest
import torch
from safetensors import safe_open
from safetensors.torch import save_file

from models import ModelConfig, build
from trainer import checkpoint, data
from trainer.checkpoint import CheckpointError
from trainer.config import TrainConfig


def _trained(config=None, steps=20):
    """A small model trained a few Adam steps on digits, with its loss history."""
    torch.manual_seed(0)
    model = build(config or ModelConfig(hidden=[32, 16]))
    x = data.as_float(data.load("digits").train_x[:256])
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    history = {"train": {"step": [], "loss": [], "recon": []}, "val": {"step": [], "loss": []}}
    for step in range(steps):
        out = model(x)
        opt.zero_grad()
        out.loss.backward()
        opt.step()
        history["train"]["step"].append(step)
        history["train"]["loss"].append(out.loss.item())
        history["train"]["recon"].append(out.terms["recon"].item())
    history["val"] = {"step": [steps - 1], "loss": [1 / 3]}
    return model, history


@pytest.fixture(scope="module")
def model_and_history():
    return _trained()


@pytest.fixture
def saved(tmp_path, model_and_history):
    model, history = model_and_history
    tc = TrainConfig(epochs=3, batch_size=64, lr=1e-2, seed=7)
    path = tmp_path / "ck" / "run.safetensors"
    return checkpoint.save(path, model, train_config=tc, history=history), model, history, tc


def _metadata(path):
    with safe_open(str(path), "pt") as f:
        return f.metadata(), {k: f.get_tensor(k) for k in f.keys()}  # noqa: SIM118


@pytest.mark.parametrize(
    "config",
    [
        ModelConfig(hidden=[32, 16]),
        ModelConfig(backbone="conv", objective="vae", hidden=[8], code_size=3, loss="bce"),
        ModelConfig(backbone="conv", hidden=[8, 16], loss="bce", norm="batch", depth=2, dense=8),
        ModelConfig(hidden=[32, 16], norm="group"),
    ],
    ids=["mlp-ae", "conv-vae", "conv-batchnorm-deep-dense", "mlp-groupnorm"],
)
def test_round_trip_is_exact(tmp_path, config):
    model, history = _trained(config, steps=5)
    tc = TrainConfig(epochs=3, batch_size=64, lr=1e-2, seed=7, schedule="cosine", patience=4,
                     clip=0.5, kl_warmup=2, val_fraction=0.2, weight_decay=0.01)  # fmt: skip
    path = checkpoint.save(
        tmp_path / "ck" / "run.safetensors", model, train_config=tc, history=history
    )
    assert path == tmp_path / "ck" / "run.safetensors" and path.is_file()
    assert [p.name for p in path.parent.iterdir()] == ["run.safetensors"]  # no temp file left

    ck = checkpoint.load(path)

    assert ck.model_config == model.config and ck.train_config == tc
    assert ck.dataset == "digits" and ck.history == history
    expected = model.state_dict()
    assert ck.state.keys() == expected.keys()
    for key, value in expected.items():
        assert ck.state[key].dtype == value.dtype and torch.equal(ck.state[key], value)
    assert ck.meta["app"] == "latent-explorer" and ck.meta["format"] == "1"
    rebuilt = ck.build_model()
    assert not rebuilt.training
    assert next(rebuilt.parameters()).device.type == "cpu"
    x = data.as_float(data.load("digits").test_x[:16])
    model.eval()
    with torch.no_grad():
        assert torch.equal(rebuilt.encode(x), model.encode(x))
        assert torch.equal(rebuilt.decode(model.encode(x)), model.decode(model.encode(x)))


def test_save_without_train_config_or_history(tmp_path, model_and_history):
    path = checkpoint.save(tmp_path / "bare.safetensors", model_and_history[0], dataset="shapes")
    ck = checkpoint.load(path)
    assert ck.train_config is None and ck.history == {} and ck.dataset == "shapes"


def _expect_refusal(path, pattern):
    with pytest.raises(CheckpointError) as caught:
        checkpoint.load(path)
    message = str(caught.value)
    assert message.startswith(str(path)) and "\n" not in message
    assert pattern in message
    return message


def test_truncated_file_is_refused(saved):
    path = saved[0]
    whole = path.read_bytes()
    for keep in (len(whole) - 10, 200, 5, 0):
        path.write_bytes(whole[:keep])
        _expect_refusal(path, "too short" if keep < 9 else "truncated")


def test_random_bytes_are_refused(tmp_path):
    path = tmp_path / "noise.safetensors"
    path.write_bytes(os.urandom(4096))
    _expect_refusal(path, "is not a Latent Explorer checkpoint")


def test_header_sanity_checks(tmp_path):
    path = tmp_path / "odd.safetensors"
    path.write_bytes(struct.pack("<Q", 10**12) + b"{" + b" " * 100)  # absurd header length
    _expect_refusal(path, "is not a Latent Explorer checkpoint")
    path.write_bytes(struct.pack("<Q", 20) + b"{not json at all!!!}")
    _expect_refusal(path, "is not a Latent Explorer checkpoint")
    _expect_refusal(tmp_path / "missing.safetensors", "does not exist")
    _expect_refusal(tmp_path, "is a folder")


def test_someone_elses_safetensors_file_is_refused(tmp_path):
    path = tmp_path / "other.safetensors"
    save_file({"weight": torch.randn(4, 4), "bias": torch.zeros(4)}, str(path))
    _expect_refusal(path, "from another program")


class _Payload:
    """Unpickling this would create the marker file: proof that nothing was unpickled."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


@pytest.mark.parametrize("writer", ["pickle", "torch.save"])
def test_pickle_renamed_to_safetensors_never_runs(tmp_path, writer):
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.safetensors"
    if writer == "pickle":
        path.write_bytes(pickle.dumps({"state": _Payload(marker)}))
    else:
        torch.save({"state": _Payload(marker)}, path)
    _expect_refusal(path, "is not a Latent Explorer checkpoint")
    assert not marker.exists()
    if writer == "pickle":  # the payload is armed: unpickling really would run it
        pickle.loads(path.read_bytes())
        assert marker.exists()


def _rewrite(path, state=None, **meta_changes):
    """Write the checkpoint again with some tensors or metadata entries replaced."""
    meta, tensors = _metadata(path)
    tensors.update(state or {})
    meta.update(meta_changes)
    save_file(tensors, str(path), metadata=meta)


def test_newer_format_asks_for_an_update(saved):
    _rewrite(saved[0], format="2")
    message = _expect_refusal(saved[0], "was written by a newer Latent Explorer (format 2)")
    assert "update the app" in message


def test_weights_that_do_not_match_the_model_are_refused(saved):
    path = saved[0]
    meta, tensors = _metadata(path)
    key = next(k for k, v in tensors.items() if v.ndim == 2)
    original = path.read_bytes()
    cases = {
        "shape": {key: torch.zeros(3, 3)},
        "dtype": {key: tensors[key].double()},
        "extra": {"extra.weight": torch.zeros(2)},
    }
    for name, change in cases.items():
        path.write_bytes(original)
        _rewrite(path, change)
        message = _expect_refusal(path, "does not match the model it describes")
        assert key in message or name == "extra"
    missing = {k: v for k, v in tensors.items() if k != key}
    save_file(missing, str(path), metadata=meta)
    _expect_refusal(path, f"missing {key}")


def test_non_finite_weights_are_refused(saved):
    _, tensors = _metadata(saved[0])
    key = next(iter(tensors))
    bad = tensors[key].clone()
    bad.view(-1)[0] = float("nan")
    _rewrite(saved[0], {key: bad})
    _expect_refusal(saved[0], "non-finite weights")


def test_unreadable_settings_are_refused(saved):
    _rewrite(saved[0], model_config=json.dumps({"backbone": "transformer"}))
    _expect_refusal(saved[0], "has settings this version can't use (backbone must be one of")


@pytest.mark.parametrize("fail_at", ["fsync", "replace"])
def test_crash_during_save_keeps_the_old_file(saved, monkeypatch, fail_at):
    path, model, history, _ = saved
    before = path.read_bytes()
    other, _ = _trained(ModelConfig(hidden=[32, 16]), steps=2)

    def crash(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, fail_at, crash)
    with pytest.raises(CheckpointError, match=r"Could not save .*No space left on device"):
        checkpoint.save(path, other, history=history)
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert [p.name for p in path.parent.iterdir()] == [path.name]
    state = checkpoint.load(path).state
    assert all(torch.equal(state[k], v) for k, v in model.state_dict().items())


def test_interrupted_save_cleans_up_and_reraises(saved, monkeypatch):
    path = saved[0]
    before = path.read_bytes()

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        checkpoint.save(path, saved[1])
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert [p.name for p in path.parent.iterdir()] == [path.name]


def test_unwritable_destination_is_a_checkpoint_error(tmp_path, model_and_history):
    blocker = tmp_path / "a-file"
    blocker.write_text("in the way")
    with pytest.raises(CheckpointError, match=r"a-file is a file, not a folder\): choose a folder"):
        checkpoint.save(blocker / "sub" / "run.safetensors", model_and_history[0])
    with pytest.raises(CheckpointError, match=r"^Could not save"):
        checkpoint.save(tmp_path, model_and_history[0])  # a folder is in the way
    if Path("/proc/self").is_dir():
        with pytest.raises(CheckpointError, match=r"^Could not save /proc"):
            checkpoint.save("/proc/run.safetensors", model_and_history[0])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-file", "le-home"]


def test_a_checkpoint_from_before_the_recipes_loads_with_defaults(tmp_path, model_and_history):
    """Files written before norm, depth, dense and the optimiser settings existed."""
    model, history = model_and_history
    saved = checkpoint.save(tmp_path / "new.safetensors", model, train_config=TrainConfig())
    with safe_open(str(saved), "pt") as f:
        meta, state = f.metadata(), {k: f.get_tensor(k) for k in f.keys()}  # noqa: SIM118
    old_model = {k: v for k, v in json.loads(meta["model_config"]).items()
                 if k not in ("norm", "depth", "dense")}  # fmt: skip
    old_train = {"dataset": "digits", "epochs": 10, "batch_size": 128, "lr": 1e-3,
                 "device": "auto", "seed": 0}  # fmt: skip
    meta = {k: v for k, v in meta.items() if k in checkpoint.UNCHECKED}  # before checksums
    meta.update(model_config=json.dumps(old_model), train_config=json.dumps(old_train))
    save_file(state, str(tmp_path / "old.safetensors"), metadata=meta)
    ck = checkpoint.load(tmp_path / "old.safetensors")
    assert (ck.model_config.norm, ck.model_config.depth, ck.model_config.dense) == ("none", 1, 0)
    assert ck.train_config == TrainConfig(**old_train)  # the new fields take their defaults
    assert torch.equal(
        ck.build_model().decode(torch.zeros(1, 2)), model.eval().decode(torch.zeros(1, 2))
    )
