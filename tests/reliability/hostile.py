"""Hostile checkpoint files: every way a file from someone else can be broken or booby-trapped."""

from __future__ import annotations

import json
import pickle
import struct
from pathlib import Path

import torch
from safetensors.torch import save as st_save

from models import ModelConfig, build
from trainer import checkpoint
from trainer.config import TrainConfig

DIGITS = (1, 8, 8)
AE = ModelConfig(backbone="mlp", objective="ae", input_shape=DIGITS, hidden=[16], code_size=2)
VAE = ModelConfig(backbone="mlp", objective="vae", input_shape=DIGITS, hidden=[16], code_size=2)
CONV = ModelConfig(backbone="conv", objective="ae", input_shape=DIGITS, hidden=[4], code_size=2)
HISTORY = {"train": {"step": [1, 2], "loss": [3.0, 2.0]}, "val": {"step": [2], "loss": [2.5]}}


class Payload:
    """Unpickling this creates `marker`: proof that a loader ran code from the file."""

    def __init__(self, marker: Path) -> None:
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


def model(config: ModelConfig, seed: int = 0) -> torch.nn.Module:
    torch.manual_seed(seed)
    return build(config).eval()


def saved_bytes(net, tmp: Path, name: str = "base.safetensors") -> bytes:
    """What checkpoint.save writes for `net` (with the digits dataset and a small history)."""
    path = checkpoint.save(
        tmp / name, net, train_config=TrainConfig(epochs=2), dataset="digits", history=HISTORY
    )
    return path.read_bytes()


def split(data: bytes) -> tuple[dict, bytes]:
    """(header dict, tensor bytes) of a safetensors file."""
    (size,) = struct.unpack("<Q", data[:8])
    return json.loads(data[8 : 8 + size]), data[8 + size :]


def join(header: dict, body: bytes) -> bytes:
    return framed(json.dumps(header).encode(), body)


def framed(raw_header: bytes, body: bytes = b"") -> bytes:
    """A safetensors frame: the header's length, the header, the tensor bytes."""
    return struct.pack("<Q", len(raw_header)) + raw_header + body


def with_meta(data: bytes, **changes) -> bytes:
    """The same file with metadata entries replaced (None removes one); tensors untouched."""
    header, body = split(data)
    meta = header["__metadata__"]
    for key, value in changes.items():
        if value is None:
            meta.pop(key, None)
        else:
            meta[key] = value
    return join(header, body)


def raw_file(state: dict[str, torch.Tensor], data: bytes) -> bytes:
    """`state` under the metadata of `data` without its checksum: a file edited by hand."""
    meta = dict(split(data)[0]["__metadata__"])
    meta.pop(checkpoint.CHECKSUM)
    return st_save(state, metadata=meta)


def written_as(config: ModelConfig, weights_of: torch.nn.Module, tmp: Path) -> bytes:
    """A consistent, checksummed file whose metadata says `config` but whose weights differ."""
    weights_of.config = config.copy()
    return saved_bytes(weights_of, tmp, "variant.safetensors")


def checksum_of(data: bytes) -> str:
    return split(data)[0]["__metadata__"][checkpoint.CHECKSUM]


def structural_cases(tmp: Path, marker: Path) -> dict[str, bytes]:
    """Named hostile files, one per kind the loader must refuse."""
    base = saved_bytes(model(AE), tmp)
    state = {k: v.clone() for k, v in model(AE).state_dict().items()}
    key = next(k for k, v in state.items() if v.ndim == 2)
    nan = dict(state, **{key: torch.full_like(state[key], float("nan"))})
    extra_net, missing_net, nan_net = model(AE), model(AE), model(AE)
    with torch.no_grad():
        nan_net.backbone.head.weight[0, 0] = float("inf")
    extra_net.register_buffer("extra", torch.zeros(3))
    missing_net.backbone.head.bias = None  # a Linear without bias: one key fewer
    pickled = {p: pickle.dumps({"state": Payload(marker)}, protocol=p) for p in range(6)}
    zipped = tmp / "zip.pt"
    torch.save({"state": Payload(marker)}, zipped)
    deep = "[" * 50_000 + "]" * 50_000
    cases = {
        "empty": b"",
        "tiny": b"\x01\x02",
        "random": bytes(range(256)) * 8,
        "text": b"hello, this is not a checkpoint\n" * 10,
        "torch-zip-pickle": zipped.read_bytes(),
        **{f"pickle-protocol-{p}": data for p, data in pickled.items()},
        "header-size-huge": struct.pack("<Q", 2**63) + base[8:],
        "header-size-max-allowed": struct.pack("<Q", checkpoint.MAX_HEADER) + base[8:],
        "header-size-past-end": struct.pack("<Q", len(base)) + base[8:],
        "header-not-json": struct.pack("<Q", 9) + b"{not json" + base[17:],
        "header-a-list": join([1, 2], b""),  # type: ignore[arg-type]
        "header-deeply-nested": join({"x": json.loads("[" * 900 + "]" * 900)}, b""),
        "header-recursion": framed(b'{"a":' + deep.encode() + b"}"),
        "no-metadata": st_save(state),
        "other-app": st_save(state, metadata={"app": "someone-else", "format": "1"}),
        "newer-format": with_meta(base, format="2"),
        "far-newer-format": with_meta(base, format=str(10**30)),
        "format-zero": with_meta(base, format="0"),
        "format-not-a-number": with_meta(base, format="one"),
        "format-missing": with_meta(base, format=None),
        "app-missing": with_meta(base, app=None),
        "history-missing": with_meta(base, history=None),
        "dataset-missing": with_meta(base, dataset=None),
        "checksum-name-damaged": with_meta(base, checksum=None, checksun=checksum_of(base)),
        "model-config-missing": with_meta(base, model_config=None),
        "model-config-not-json": with_meta(base, model_config="{"),
        "model-config-a-list": with_meta(base, model_config="[]"),
        "model-config-unknown-key": with_meta(base, model_config='{"layers": 3}'),
        "model-config-bad-backbone": with_meta(base, model_config='{"backbone": "rnn"}'),
        "model-config-deep": with_meta(base, model_config=deep),
        "model-config-giant": with_meta(
            base, model_config=json.dumps(dict(AE.to_dict(), hidden=[100_000] * 3))
        ),
        "train-config-bad": with_meta(base, train_config='{"lr": -1}'),
        "train-config-unknown": with_meta(base, train_config='{"momentum": 0.9}'),
        "history-not-a-mapping": with_meta(base, history="[1, 2]"),
        "history-split-a-number": with_meta(base, history='{"train": 5}'),
        "history-strings": with_meta(base, history='{"train": {"step": ["a"], "loss": [null]}}'),
        "history-deep": with_meta(base, history=deep),
        "metadata-value-edited": with_meta(base, dataset="shapes"),
        "nan-weights": raw_file(nan, base),
        "nan-weights-checksummed": saved_bytes(nan_net, tmp, "nan.safetensors"),
        "wrong-dtype": raw_file(dict(state, **{key: state[key].double()}), base),
        "wrong-dtype-checksummed": saved_bytes(model(AE).double(), tmp, "f64.safetensors"),
        "half-precision": saved_bytes(model(AE).half(), tmp, "f16.safetensors"),
        "wrong-shape": raw_file(dict(state, **{key: state[key][:1]}), base),
        "missing-key": raw_file({k: v for k, v in state.items() if k != key}, base),
        "missing-key-checksummed": saved_bytes(missing_net, tmp, "missing.safetensors"),
        "extra-key": raw_file(dict(state, extra=torch.zeros(3)), base),
        "extra-key-checksummed": saved_bytes(extra_net, tmp, "extra.safetensors"),
        "says-vae-holds-ae": written_as(VAE, model(AE), tmp),
        "says-ae-holds-vae": written_as(AE, model(VAE), tmp),
        "says-conv-holds-mlp": written_as(CONV, model(AE), tmp),
        "says-mlp-holds-conv": written_as(AE, model(CONV), tmp),
        "weights-bit-flipped": flip(base, [len(base) - 5]),
        "truncated-half": base[: len(base) // 2],
        "truncated-one-byte": base[:-1],
    }
    return cases


def flip(data: bytes, bits: list[int]) -> bytes:
    """`data` with one bit flipped at each byte offset in `bits` (bit chosen by the offset)."""
    out = bytearray(data)
    for offset in bits:
        out[offset % len(out)] ^= 1 << (offset % 8)
    return bytes(out)
