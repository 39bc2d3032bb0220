"""bf16 autocast (--bf16) on the CPU, and the CUDA data path where a device is present."""

import pytest
import torch

from models import ModelConfig
from trainer import data
from trainer.config import TrainConfig
from trainer.loop import Trainer


def _run(dataset, **train):
    config = ModelConfig(input_shape=dataset.shape, hidden=[64, 32], code_size=4)
    trainer = Trainer(config, TrainConfig(epochs=3, batch_size=64, seed=2, **train), dataset)
    seen = []
    first = next(m for m in trainer.model.modules() if isinstance(m, torch.nn.Linear))
    first.register_forward_hook(lambda m, i, out: seen.append(out.dtype) if m.training else None)
    *_, last = trainer.run()
    assert last.done and not last.error, last.error
    return trainer, seen


def test_bf16_runs_the_forward_pass_in_bfloat16_and_still_learns(digits):
    plain, plain_dtypes = _run(digits)
    half, half_dtypes = _run(digits, precision="bf16")
    assert set(plain_dtypes) == {torch.float32} and set(half_dtypes) == {torch.bfloat16}
    assert all(p.dtype == torch.float32 for p in half.model.parameters())  # fp32 weights
    val = half.history["val"]["loss"]
    assert val[-1] < val[0]
    assert val[-1] == pytest.approx(plain.history["val"]["loss"][-1], rel=0.1)


def test_the_bf16_flag_is_generated_from_the_setting():
    import argparse

    from trainer import cli

    parser = argparse.ArgumentParser()
    cli.add_train_arguments(parser)
    assert parser.parse_args(["--bf16", "--out", "x"]).precision == "bf16"
    assert parser.parse_args(["--out", "x"]).precision == "fp32"


@pytest.mark.cuda
def test_a_memory_mapped_dataset_trains_on_cuda_like_one_on_the_device(digits, tmp_path):
    mapped = data.load("digits", budget=0)
    assert mapped.mapped
    results = []
    for dataset in (digits, mapped):
        trainer, _ = _run(dataset, device="cuda")
        results.append(trainer.history["val"]["loss"])
    assert results[0] == pytest.approx(results[1], rel=1e-4)
    trainer, dtypes = _run(mapped, device="cuda", precision="bf16")
    assert set(dtypes) == {torch.bfloat16}
