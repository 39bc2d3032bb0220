"""The training loop on real small models and the real digits data."""

import math
import re
import threading

import pytest
import torch

from models import ModelConfig
from trainer import data
from trainer.config import TrainConfig
from trainer.loop import Trainer


def _config(**kw) -> ModelConfig:
    return ModelConfig(input_shape=(1, 8, 8), hidden=[32, 16], **kw)


def _finite(state: dict) -> bool:
    return all(torch.isfinite(v).all() for v in state.values())


def test_training_lowers_the_validation_loss(digits):
    trainer = Trainer(_config(), TrainConfig(epochs=6, lr=3e-3), digits)
    progress = list(trainer.run())
    last = progress[-1]
    assert last.done and not last.stopped and last.error is None
    assert last.fraction == 1.0 and last.epoch == last.epochs == 6
    val = trainer.history["val"]["loss"]
    assert trainer.history["val"]["epoch"] == [1, 2, 3, 4, 5, 6]
    assert val[-1] < 0.8 * val[0]
    assert all(isinstance(v, float) for v in trainer.history["train"]["recon"])
    # a tenth of the 1438 training images is held out for validation
    assert len(trainer.train_index) == 1438 - 143 and len(trainer.val_index) == 143
    assert trainer.history["train"]["step"][-1] == last.step == 6 * math.ceil(1295 / 128)
    epoch_ends = [p for p in progress if p.val_terms is not None]
    assert len(epoch_ends) == 6 and last.weights is not None
    assert all(torch.equal(last.weights[k], v.cpu()) for k, v in trainer.model.state_dict().items())
    assert set(last.val_terms) == {"loss", "recon"} and last.samples_per_s > 0


def test_batch_norm_trains_when_an_epoch_would_end_on_one_image(digits):
    # 1295 training images in batches of 1294 leave one over: that batch is left out.
    trainer = Trainer(_config(norm="batch"), TrainConfig(epochs=2, batch_size=1294), digits)
    last = list(trainer.run())[-1]
    assert last.done and last.error is None and last.step == 2


def test_a_seeded_run_repeats_exactly(digits):
    def run(seed):
        config = _config(objective="denoising", noise="gaussian:0.3")
        trainer = Trainer(config, TrainConfig(epochs=2, seed=seed), digits)
        for _ in trainer.run():
            pass
        return trainer.model.state_dict(), trainer.history["val"]["loss"]

    (a, val_a), (b, val_b), (c, _) = run(7), run(7), run(8)
    assert all(torch.equal(a[k], b[k]) for k in a) and val_a == val_b
    assert not all(torch.equal(a[k], c[k]) for k in a)


def test_stop_ends_the_run_between_steps(digits):
    trainer = Trainer(_config(), TrainConfig(epochs=50), digits)
    seen, stopped_at = [], None
    for p in trainer.run():
        seen.append(p)
        if stopped_at is None and p.step >= 3:
            stopped_at = p.step
            trainer.stop()
    assert seen[-1].stopped and not seen[-1].done
    assert seen[-1].step == trainer.step == stopped_at
    assert seen[-1].weights is not None


def test_pause_holds_the_step_count_until_resume(digits):
    trainer = Trainer(_config(), TrainConfig(epochs=4), digits)
    paused_yield = threading.Event()
    steps = []

    def consume():
        for p in trainer.run():
            steps.append(p.step)
            if not paused_yield.is_set() and trainer.paused:
                paused_yield.set()  # run() yielded because of the pause; next() now blocks
            elif len(steps) == 1:
                trainer.pause()

    thread = threading.Thread(target=consume)
    thread.start()
    assert paused_yield.wait(60)
    held = trainer.step
    thread.join(timeout=0.5)  # gives a broken pause time to take steps
    assert thread.is_alive() and trainer.step == held and trainer.paused
    trainer.resume()
    thread.join(60)
    assert not thread.is_alive()
    assert trainer.step == 4 * math.ceil(1295 / 128) > held


def test_a_diverging_run_stops_with_the_message_and_finite_weights(digits):
    trainer = Trainer(_config(), TrainConfig(epochs=5, lr=1e12), digits)
    last = list(trainer.run())[-1]
    assert not last.done and last.error is not None
    assert re.fullmatch(
        r"Training diverged at step \d+ \(loss became (nan|inf|-inf)\): lower the learning "
        r"rate \(now 1000000000000\.0\) and train again\.",
        last.error,
    ), last.error
    assert last.step < 5 * math.ceil(1438 / 128)
    assert _finite(last.weights) and _finite(trainer.model.state_dict())
    assert all(math.isfinite(v) for v in trainer.history["train"]["loss"])


def test_denoising_corrupts_every_batch_afresh(digits):
    one = digits.train_x[:1].expand(256, -1, -1, -1).clone()  # one image, many times
    same = data.Dataset("same", one, one[:8], torch.zeros(256, dtype=torch.int64),
                        torch.zeros(8, dtype=torch.int64), ["x"])  # fmt: skip
    config = _config(objective="denoising", noise="gaussian:0.3")
    trainer = Trainer(config, TrainConfig(epochs=2, batch_size=64, val_fraction=0), same)
    seen = []

    def record(module, args, kwargs):
        if module.training:
            seen.append((args[0].clone(), kwargs["target"].clone()))

    trainer.model.register_forward_pre_hook(record, with_kwargs=True)
    for _ in trainer.run():
        pass
    assert len(seen) == 8
    noises = [x - target for x, target in seen]
    assert all(torch.equal(t, data.as_float(one[:64])) for _, t in seen)  # the clean batch
    assert all(n.abs().mean() > 0.05 for n in noises)
    assert not any(torch.equal(noises[i][0], noises[i][1]) for i in range(8))
    assert not any(torch.equal(noises[i], noises[j]) for i in range(8) for j in range(i))


def test_training_continues_an_existing_model_and_history(digits):
    first = Trainer(_config(), TrainConfig(epochs=2), digits)
    list(first.run())
    steps = first.step
    more = Trainer(_config(), TrainConfig(epochs=1), digits, first.model, first.history)
    last = list(more.run())[-1]
    assert more.model is first.model
    assert last.epoch == last.epochs == 3 and last.step == steps + math.ceil(1295 / 128)
    assert more.history["val"]["epoch"] == [1, 2, 3]
    assert len(first.history["val"]["epoch"]) == 2  # the caller's history is not changed


def test_bad_settings_are_one_sentence_errors(digits):
    with pytest.raises(ValueError, match="shape"):
        Trainer(ModelConfig(input_shape=(1, 28, 28)), TrainConfig(), digits)
    missing = [d for d, ok in (("cuda", torch.cuda.is_available()),
                               ("mps", torch.backends.mps.is_available())) if not ok]  # fmt: skip
    if not missing:
        pytest.skip("every device is available here")
    with pytest.raises(ValueError, match=f"device {missing[0]} is not available"):
        Trainer(_config(), TrainConfig(device=missing[0]), digits)
