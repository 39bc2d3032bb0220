"""The optimiser's schedule, early stopping, gradient clipping and KL warm-up, on real digits."""

import math

import pytest
import torch
from torch.optim.optimizer import register_optimizer_step_pre_hook

from models import ModelConfig
from trainer import data
from trainer.config import TrainConfig
from trainer.loop import Trainer
from trainer.schedules import cosine_factor
from trainer.stopping import holdout


def _few(digits, n: int = 60) -> data.Dataset:
    """The first n training images of digits (and all its test images): a set to overfit."""
    return data.Dataset("few", digits.train_x[:n], digits.test_x, digits.train_y[:n],
                        digits.test_y, digits.classes)  # fmt: skip


def _run(config: ModelConfig, train: TrainConfig, dataset):
    trainer = Trainer(config, train, dataset)
    progress = list(trainer.run())
    return trainer, progress


def _mlp(**kw) -> ModelConfig:
    return ModelConfig(input_shape=(1, 8, 8), hidden=[32, 16], **kw)


def _rates(config, train, dataset):
    """The learning rate of every optimiser step of a run (and the trainer, progress)."""
    rates = []
    hook = register_optimizer_step_pre_hook(
        lambda opt, args, kwargs: rates.append(opt.param_groups[0]["lr"])
    )
    try:
        trainer, progress = _run(config, train, dataset)
    finally:
        hook.remove()
    return rates, trainer, progress


def test_onecycle_warms_up_to_the_peak_rate_and_anneals(digits):
    train = TrainConfig(epochs=8, lr=4e-3, patience=0)
    lrs, trainer, progress = _rates(_mlp(), train, digits)
    assert len(lrs) == trainer.step == 8 * math.ceil(1295 / 128)
    peak = lrs.index(max(lrs))
    assert peak == pytest.approx(0.3 * len(lrs), abs=1)  # the peak at 30% of the run
    assert max(lrs) == pytest.approx(4e-3, rel=1e-3)
    assert lrs[0] == pytest.approx(4e-3 / 25) and lrs[-1] < 4e-3 / 1000  # low start, far lower end
    assert all(a < b for a, b in zip(lrs[:peak], lrs[1 : peak + 1]))  # rises ...
    assert all(a > b for a, b in zip(lrs[peak:], lrs[peak + 1 :]))  # ... then falls
    history = trainer.history["train"]
    assert len(history["lr"]) == len(history["step"]) and set(history["lr"]) <= set(
        lrs + [progress[-1].lr]
    )
    assert progress[-1].lr == pytest.approx(history["lr"][-1])


def test_cosine_and_constant_schedules(digits):
    lrs, _, _ = _rates(_mlp(), TrainConfig(epochs=4, lr=1e-3, schedule="constant"), digits)
    assert set(lrs) == {1e-3}
    lrs, _, _ = _rates(_mlp(), TrainConfig(epochs=4, lr=1e-3, schedule="cosine"), digits)
    ramp = round(0.05 * len(lrs))
    assert lrs[:ramp] == pytest.approx([1e-3 * (i + 1) / ramp for i in range(ramp)])
    assert max(lrs) == pytest.approx(1e-3) and lrs[-1] < 1e-5
    # the pure function: a linear ramp over 5%, then a cosine from 1 to 0
    assert cosine_factor(0, 100) == pytest.approx(0.2) and cosine_factor(4, 100) == 1.0
    assert cosine_factor(52, 100) == pytest.approx(0.5, abs=0.02) and cosine_factor(100, 100) == 0


def test_early_stopping_keeps_the_best_epochs_weights(digits):
    # 60 training images and a wide network at a high constant rate: it overfits at once.
    few = _few(digits)
    config = ModelConfig(input_shape=(1, 8, 8), hidden=[512], code_size=30)
    train = TrainConfig(epochs=300, lr=1e-2, batch_size=8, schedule="constant", patience=5)
    trainer, progress = _run(config, train, few)
    last = progress[-1]
    val = trainer.history["val"]["loss"]
    best = min(range(len(val)), key=val.__getitem__)
    assert last.done and last.error is None and last.epoch < 300  # stopped early
    assert last.epoch == best + 1 + 5 and last.best_epoch == best + 1 == trainer.best_epoch
    assert val[-1] > val[best]
    assert trainer.validate()["loss"] == pytest.approx(val[best], rel=1e-6)  # weights restored
    assert all(torch.equal(last.weights[k], v) for k, v in trainer.model.state_dict().items())


def test_without_patience_every_epoch_runs_and_the_last_weights_stay(digits):
    few = _few(digits)
    config = ModelConfig(input_shape=(1, 8, 8), hidden=[512], code_size=30)
    train = TrainConfig(epochs=40, lr=1e-2, batch_size=8, schedule="constant", patience=0)
    trainer, progress = _run(config, train, few)
    assert progress[-1].epoch == 40 and progress[-1].best_epoch == 0
    assert trainer.validate()["loss"] == pytest.approx(trainer.history["val"]["loss"][-1])


def test_the_validation_split_comes_from_the_training_split(digits):
    train, val = holdout(1438, 0.1)
    assert len(val) == 143 and len(train) == 1295
    assert not set(train.tolist()) & set(val.tolist())
    assert torch.equal(holdout(1438, 0.1)[1], val)  # the same for every run and seed
    assert len(holdout(5, 0.1)[1]) == 0  # too few images: no validation split
    trainer = Trainer(_mlp(), TrainConfig(epochs=1), digits)
    assert torch.equal(trainer.val_index, val)
    model = trainer.model.eval()
    with torch.no_grad():
        on_val = model(data.as_float(digits.train_x[val])).loss.item()
        on_test = model(data.as_float(digits.test_x)).loss.item()
    assert trainer.validate()["loss"] == pytest.approx(on_val, rel=1e-5) != on_test
    list(trainer.run())  # it trains on the rest: 1295 images per epoch
    assert trainer.step == math.ceil(1295 / 128)


def test_gradient_clipping_bounds_every_steps_gradient(digits):
    norms = []

    def record(optimizer, args, kwargs):
        grads = [p.grad for group in optimizer.param_groups for p in group["params"]]
        norms.append(float(torch.linalg.vector_norm(torch.stack([g.norm() for g in grads]))))

    handle = register_optimizer_step_pre_hook(record)
    try:
        _run(_mlp(), TrainConfig(epochs=2, clip=0.5), digits)
        clipped, norms[:] = list(norms), []
        _run(_mlp(), TrainConfig(epochs=2, clip=0.0), digits)
    finally:
        handle.remove()
    assert clipped and max(clipped) <= 0.5 * (1 + 1e-4)
    assert max(norms) > 0.5  # without clipping the same run's gradients are larger


def test_kl_warm_up_raises_the_vae_kl_weight_from_zero(digits):
    config = _mlp(objective="vae", loss="bce", code_size=2)
    train = TrainConfig(epochs=6, kl_warmup=3, patience=2, lr=3e-3)
    trainer = Trainer(config, train, digits)
    seen = []
    trainer.model.register_forward_pre_hook(
        lambda module, args: seen.append(module.warmup) if module.training else None
    )
    list(trainer.run())
    per_epoch = math.ceil(len(trainer.train_index) / 128)
    ramp = 3 * per_epoch
    assert seen[:ramp] == pytest.approx([(i + 1) / ramp for i in range(ramp)])
    assert set(seen[ramp:]) == {1.0} and trainer.model.warmup == 1.0
    hist = trainer.history["train"]
    steps, loss, recon, kl = hist["step"], hist["loss"], hist["recon"], hist["kl"]
    for s, lo, r, k in zip(steps, loss, recon, kl):  # loss = recon + warmup * beta * kl
        weight = min(1.0, s / ramp)
        assert lo == pytest.approx(r + weight * k, rel=1e-4), s
    # validation always uses the full weight, so its loss is the negative ELBO
    val = trainer.history["val"]
    assert all(lo == pytest.approx(r + k, rel=1e-5) for lo, r, k in
               zip(val["loss"], val["recon"], val["kl"]))  # fmt: skip


def test_warm_up_epochs_do_not_count_for_early_stopping(digits):
    config = _mlp(objective="vae", loss="bce", code_size=2)
    train = TrainConfig(epochs=8, kl_warmup=5, patience=1, lr=3e-3)
    trainer, progress = _run(config, train, digits)
    assert progress[-1].best_epoch > 5  # the best is chosen after the warm-up


def test_a_seeded_run_with_every_option_repeats_exactly(digits):
    def run():
        config = _mlp(objective="vae", loss="bce", norm="batch")
        train = TrainConfig(epochs=4, kl_warmup=2, patience=1, clip=1.0, weight_decay=0.1)
        trainer, progress = _run(config, train, digits)
        return trainer.model.state_dict(), trainer.history["val"], progress[-1].best_epoch

    (a, history_a, best_a), (b, history_b, best_b) = run(), run()
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert history_a == history_b and best_a == best_b  # (train rows are timed: not compared)


def test_early_stopping_waits_for_the_learning_rate_to_peak(digits):
    few = _few(digits)
    config = ModelConfig(input_shape=(1, 8, 8), hidden=[512], code_size=30)
    train = TrainConfig(epochs=40, lr=3e-2, batch_size=8, schedule="onecycle", patience=1)
    trainer, progress = _run(config, train, few)
    assert progress[-1].epoch >= 12  # onecycle rises over the first 30% of the 40 epochs
    val = trainer.history["val"]["loss"]
    assert trainer.validate()["loss"] == pytest.approx(min(val), rel=1e-6)


def test_a_warm_up_longer_than_half_the_run_is_cut_to_half(digits):
    config = _mlp(objective="vae", loss="bce", code_size=2)
    trainer = Trainer(config, TrainConfig(epochs=4, kl_warmup=10, patience=0), digits)
    seen = []
    trainer.model.register_forward_pre_hook(
        lambda module, args: seen.append(module.warmup) if module.training else None
    )
    list(trainer.run())
    ramp = 2 * math.ceil(len(trainer.train_index) / 128)  # half of the 4 epochs
    assert seen[ramp - 1] == 1.0 and seen[ramp - 2] < 1.0 and set(seen[ramp:]) == {1.0}
