"""Untrusted checkpoints: every hostile file ends in CheckpointError with a sentence, in bounded
time, without running code from the file. Hypothesis mutates a real checkpoint byte by byte."""

from __future__ import annotations

import json
import os
import pickle
import struct
from dataclasses import fields

import hostile
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from support import assert_sentence, bounded

from models import ModelConfig
from trainer import checkpoint
from trainer.checkpoint import CheckpointError
from trainer.config import TrainConfig


def fuzz(examples: int) -> settings:
    """Hypothesis settings: `examples` cases, no deadline, the same cases every run."""
    return settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=True,  # a failure is repeatable
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )


OFFSETS = st.integers(0, 2**40)  # taken modulo the file length
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=12,
)
CONFIG_FIELDS = [f.name for f in fields(ModelConfig)] + [f.name for f in fields(TrainConfig)]
CONFIG_LIKE = st.dictionaries(st.sampled_from(CONFIG_FIELDS), JSON, max_size=6)
META_KEYS = ["format", "app", "model_config", "train_config", "history", "dataset", "checksum"]


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> bytes:
    """A genuine checkpoint (mlp ae on digits) that every mutation starts from."""
    return hostile.saved_bytes(hostile.model(hostile.AE), tmp_path_factory.mktemp("base"))


@pytest.fixture(scope="module")
def marker(tmp_path_factory):
    return tmp_path_factory.mktemp("marker") / "code-ran"


def refuses(path, marker=None) -> str:
    """Load `path` (bounded in time) and check it ends in a CheckpointError sentence."""
    result, error = bounded(checkpoint.load, path)
    assert result is None, f"{path.name} loaded but should have been refused"
    assert isinstance(error, CheckpointError), f"{path.name}: {type(error).__name__}: {error}"
    assert_sentence(str(error))
    assert marker is None or not marker.exists(), "code from the file ran"
    return str(error)


def check(tmp_path, data: bytes, marker=None) -> str:
    path = tmp_path / "fuzz.safetensors"
    path.write_bytes(data)
    return refuses(path, marker)


def test_the_base_file_loads_so_refusals_mean_something(tmp_path, base):
    path = tmp_path / "good.safetensors"
    path.write_bytes(base)
    result, error = bounded(checkpoint.load, path)
    assert error is None and result.model_config == hostile.AE
    assert result.history == hostile.HISTORY


def test_every_kind_of_hostile_file_is_refused(tmp_path, marker):
    cases = hostile.structural_cases(tmp_path, marker)
    assert len(cases) >= 50
    failures = []
    for name, data in cases.items():
        try:
            check(tmp_path, data, marker)
        except AssertionError as failure:
            failures.append(f"{name}: {failure}")
    assert not failures, "\n".join(failures)


def test_the_pickle_payload_is_armed(tmp_path):
    """The marker mechanism works: unpickling the payload really runs code."""
    armed = tmp_path / "armed"
    pickle.loads(pickle.dumps(hostile.Payload(armed))).close()
    assert armed.exists()


def test_wrong_variant_messages_name_the_mismatch(tmp_path):
    data = hostile.written_as(hostile.VAE, hostile.model(hostile.AE), tmp_path)
    assert "does not match the model it describes" in check(tmp_path, data)


def test_newer_format_asks_for_an_update(tmp_path, base):
    text = check(tmp_path, hostile.with_meta(base, format="7"))
    assert "newer Latent Explorer (format 7)" in text and "update the app" in text


def test_a_checksum_less_file_from_before_still_loads(tmp_path, base):
    header, body = hostile.split(base)
    del header["__metadata__"][checkpoint.CHECKSUM]
    path = tmp_path / "legacy.safetensors"
    path.write_bytes(hostile.join(header, body))
    result, error = bounded(checkpoint.load, path)
    assert error is None and result.model_config == hostile.AE


def test_pipes_devices_and_folders_are_refused_without_waiting(tmp_path):
    fifo = tmp_path / "pipe.safetensors"
    os.mkfifo(fifo)  # opening it for reading would wait for a writer forever
    assert "not a regular file" in refuses(fifo)
    assert "not a regular file" in refuses(type(tmp_path)("/dev/zero"))
    (tmp_path / "dir.safetensors").mkdir()
    assert "is a folder" in refuses(tmp_path / "dir.safetensors")
    assert "does not exist" in refuses(tmp_path / "missing.safetensors")
    assert "not a valid file name" in refuses(tmp_path / "nul\0.safetensors")


def test_a_terabyte_file_is_refused_before_reading_it(tmp_path, base):
    path = tmp_path / "huge.safetensors"
    path.write_bytes(base)
    with open(path, "r+b") as f:
        f.truncate(2**40)  # sparse: a terabyte that takes no disk
    assert "unexpected data after its weights" in refuses(path)


@fuzz(60)
@given(cut=OFFSETS)
def test_truncated_anywhere(tmp_path, base, cut):
    check(tmp_path, base[: cut % len(base)])


@fuzz(150)
@given(draw=st.data())
def test_bit_flipped_anywhere(tmp_path, base, draw):
    bits = draw.draw(st.sets(st.integers(0, 8 * len(base) - 1), min_size=1, max_size=8))
    data = bytearray(base)
    for bit in bits:
        data[bit // 8] ^= 1 << (bit % 8)
    check(tmp_path, bytes(data))


@fuzz(40)
@given(size=st.integers(0, 2**64 - 1))
def test_any_header_size(tmp_path, base, size):
    assume(struct.pack("<Q", size) != base[:8])
    check(tmp_path, struct.pack("<Q", size) + base[8:])


@fuzz(100)
@given(at=OFFSETS, junk=st.binary(min_size=1, max_size=64))
def test_bytes_overwritten_anywhere(tmp_path, base, at, junk):
    at %= len(base)
    data = base[:at] + junk + base[at + len(junk) :]
    assume(data != base)
    check(tmp_path, data)


@fuzz(120)
@given(
    key=st.sampled_from(META_KEYS),
    value=st.one_of(st.text(max_size=40), JSON.map(json.dumps), CONFIG_LIKE.map(json.dumps)),
)
def test_any_metadata_value(tmp_path, base, key, value):
    data = hostile.with_meta(base, **{key: value})
    assume(data != base)
    check(tmp_path, data)


@fuzz(80)
@given(config=CONFIG_LIKE)
def test_any_model_settings_without_a_checksum(tmp_path, base, config):
    """Hand-edited settings with no checksum to catch them: only the validation can refuse."""
    try:
        same = ModelConfig.from_dict(config) == hostile.AE
    except Exception:  # refused later, by the loader
        same = False
    assume(not same)
    edited = hostile.with_meta(base, model_config=json.dumps(config))
    check(tmp_path, hostile.raw_file(hostile.model(hostile.AE).state_dict(), edited))
