"""Training on several ranks (trainer/distributed.py, trainer/elastic.py): `train --nproc 2`
through the real command line against one process, a rank that dies, and the pieces the loop
uses."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import torch

import main
from trainer import checkpoint, distributed, elastic
from trainer.devices import device_choices

ROOT = Path(__file__).resolve().parents[2]
TRAIN = ["train", "--dataset", "digits", "--backbone", "mlp", "--hidden", "64",
         "--code-size", "8", "--epochs", "2", "--batch-size", "64", "--seed", "3"]  # fmt: skip


@pytest.fixture(scope="module")
def runs(tmp_path_factory, latent_explorer):
    """The same run on one process and on two CPU ranks (gloo), and the ranks' eval."""
    tmp = tmp_path_factory.mktemp("ddp")
    one, two = tmp / "one.safetensors", tmp / "two.safetensors"
    single = latent_explorer([*TRAIN, "--out", str(one)], tmp, timeout=300)
    ranks = latent_explorer([*TRAIN, "--nproc", "2", "--out", str(two)], tmp, timeout=300)
    evaluated = latent_explorer(["eval", str(two), "--json"], tmp, timeout=600)
    return single, ranks, evaluated, checkpoint.load(one), checkpoint.load(two)


def test_two_ranks_train_as_one_process_with_the_same_global_batch(runs):
    single, ranks, _, one, two = runs
    assert single.returncode == 0, single.stderr
    assert ranks.returncode == 0, ranks.stderr
    assert "on cpu on 2 ranks" in ranks.stderr
    # Rank 0 alone prints: each epoch line once, and one "Saved".
    assert ranks.stderr.count("epoch 2/2  train loss") == 1
    assert ranks.stdout.count("Saved ") == 1
    # 1,295 training images in batches of 64: the last global batch of 15 splits 8 + 7, so
    # the loss scaling of uneven parts is exercised too. Float sums in another order differ
    # in the last bits only.
    for split in ("train", "val"):
        assert two.history[split]["step"][-1] == one.history[split]["step"][-1] == 42
        assert two.history[split]["loss"][-1] == pytest.approx(
            one.history[split]["loss"][-1], rel=1e-5
        )
    for key, value in one.state.items():
        torch.testing.assert_close(two.state[key], value, rtol=1e-4, atol=1e-5)
    assert two.meta["world_size"] == "2" and one.meta["world_size"] == "1"


def test_eval_json_reports_the_world_size(runs):
    _, _, evaluated, _, _ = runs
    assert evaluated.returncode == 0, evaluated.stderr
    report = json.loads(evaluated.stdout)
    assert report["world_size"] == 2 and report["dataset"] == "digits"


def test_a_rank_that_dies_ends_the_run_with_one_sentence(tmp_path, latent_explorer, monkeypatch):
    monkeypatch.setenv(distributed.DIE, "1:5")
    out = tmp_path / "dead.safetensors"
    run = latent_explorer([*TRAIN, "--nproc", "2", "--out", str(out)], tmp_path, timeout=120)
    assert run.returncode == 1
    lines = run.stderr.strip().splitlines()
    failures = [line for line in lines if "rank" in line and "failed" in line.lower()]
    assert failures == [lines[-1]]  # one sentence, the last line, no traceback
    assert "rank 1 of 2 exited with status 3" in lines[-1] and str(out) in lines[-1]
    assert "Traceback" not in run.stderr
    assert not out.exists()


def test_the_sentence_names_the_rank_that_died_not_the_ones_the_launcher_stopped(tmp_path):
    # What CI once saw: the launcher SIGTERMed rank 0 before it noticed rank 1 had died, in
    # the same second. The sentence must still name rank 1.
    from torch.distributed.elastic.multiprocessing.errors import ChildFailedError, ProcessFailure

    missing = str(tmp_path / "no-error-file.json")
    stopped = ProcessFailure(local_rank=0, pid=10, exitcode=-signal.SIGTERM, error_file=missing)
    died = ProcessFailure(local_rank=1, pid=11, exitcode=3, error_file=missing)
    stopped.timestamp = died.timestamp
    error = ChildFailedError("trainer.distributed", {0: stopped, 1: died})
    sentence = elastic.failure(error, tmp_path, 2, "nothing was saved")
    assert "rank 1 of 2 exited with status 3" in sentence
    # A rank killed by something else than the launcher (SIGKILL: the OOM killer) is the cause.
    oom = ProcessFailure(local_rank=1, pid=11, exitcode=-signal.SIGKILL, error_file=missing)
    error = ChildFailedError("trainer.distributed", {0: stopped, 1: oom})
    assert "rank 1 of 2 was killed by SIGKILL" in elastic.failure(error, tmp_path, 2, "x")
    # Only a rank that left a sentence: its sentence is the message.
    (tmp_path / "rank1.txt").write_text("Training failed: the data folder is empty.\n")
    error = ChildFailedError("trainer.distributed", {1: died})
    assert elastic.failure(error, tmp_path, 2, "x") == "Training failed: the data folder is empty."


def test_bad_arguments_on_ranks_are_one_sentence(tmp_path, latent_explorer):
    out = tmp_path / "x.safetensors"
    run = latent_explorer(["train", "--dataset", "nosuch", "--nproc", "2", "--out", str(out)],
                          tmp_path, timeout=120)  # fmt: skip
    assert run.returncode == 2
    single = latent_explorer(["train", "--dataset", "nosuch", "--out", str(out)], tmp_path)
    assert run.stderr == single.stderr  # the same one sentence as one process says
    assert run.stderr.startswith("latent-explorer train: There is no dataset called 'nosuch'")
    assert not out.exists()


def test_nproc_below_one_is_refused(tmp_path, capsys):
    with pytest.raises(SystemExit) as ended:
        main.main(["train", "--nproc", "0", "--out", str(tmp_path / "x.safetensors")])
    assert ended.value.code == 2
    assert "--nproc must be at least 1, not 0." in capsys.readouterr().err


def test_parts_of_a_batch_cover_it_and_their_shares_average_to_one():
    batch = torch.arange(15)
    groups = [distributed.Group(r, 2, r, torch.device("cpu")) for r in range(2)]
    parts = [g.part(batch) for g in groups]
    assert sorted(torch.cat([p for p, _ in parts]).tolist()) == list(range(15))
    assert [len(p) for p, _ in parts] == [8, 7]
    # DDP averages the ranks' gradients: (8/15*2 + 7/15*2) / 2 = 1, the global mean's.
    assert sum(s for _, s in parts) / 2 == pytest.approx(1.0)
    gens = [g.order_generator(torch.Generator().manual_seed(0), 5) for g in groups]
    orders = [torch.randperm(100, generator=g) for g in gens]
    assert torch.equal(orders[0], orders[1])  # every rank cuts the same permutation


def test_ranks_get_every_setting_back():
    parser = main.build_parser()
    args = parser.parse_args([*TRAIN, "--lr", "0.003", "--noise", "gaussian:0.3",
                              "--nproc", "2", "--out", "x.safetensors"])  # fmt: skip
    again = parser.parse_args(elastic.rank_argv(args))
    assert vars(again) == {**vars(args), "nproc": None}


@pytest.mark.parametrize(
    ("count", "expected"),
    [
        (0, [("CPU", "cpu")]),
        (1, [("CUDA (GPU 0)", "cuda"), ("CPU", "cpu")]),
        (2, [("CUDA (GPU 0)", "cuda"), ("All 2 GPUs", "cuda-all"), ("CPU", "cpu")]),
        (4, [("CUDA (GPU 0)", "cuda"), ("All 4 GPUs", "cuda-all"), ("CPU", "cpu")]),
    ],
)
def test_the_device_menu_offers_all_gpus_when_there_are_several(count, expected):
    assert device_choices(count, "GPU 0", mps=False) == expected
    assert device_choices(count, "GPU 0", mps=True)[-2:] == [("MPS (Apple GPU)", "mps"),
                                                             ("CPU", "cpu")]  # fmt: skip


@pytest.mark.skipif(torch.cuda.device_count() < 2, reason="needs two CUDA devices")
def test_two_gpus_train_through_nccl(tmp_path, latent_explorer):
    out = tmp_path / "gpus.safetensors"
    run = latent_explorer([*TRAIN, "--device", "cuda", "--nproc", "2", "--out", str(out)],
                          tmp_path, timeout=300)  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert "on cuda:0 on 2 ranks" in run.stderr
    saved = checkpoint.load(out)
    assert saved.meta["world_size"] == "2"
    for key, value in runs[4].state.items():
        torch.testing.assert_close(saved.state[key], value)


def test_torchrun_starts_the_same_ranks(tmp_path, runs):
    """`torchrun --standalone --nproc-per-node 2 main.py train ...`: the ranks find their
    place in the environment and train as --nproc 2 does."""
    out = tmp_path / "torchrun.safetensors"
    env = {**os.environ, "LATENT_EXPLORER_HOME": str(tmp_path), "OMP_NUM_THREADS": "1"}
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node",
           "2", str(ROOT / "main.py"), *TRAIN, "--out", str(out)]  # fmt: skip
    run = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    assert run.stdout.count("Saved ") == 1 and "on cpu on 2 ranks" in run.stderr
    saved = checkpoint.load(out)
    assert saved.meta["world_size"] == "2"
    for key, value in runs[4].state.items():
        torch.testing.assert_close(saved.state[key], value)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="signals a process group")
def test_ctrl_c_stops_every_rank_and_saves_nothing(tmp_path):
    out = tmp_path / "x.safetensors"
    env = {**os.environ, "LATENT_EXPLORER_HOME": str(tmp_path), "OMP_NUM_THREADS": "1"}
    args = [*TRAIN, "--epochs", "500", "--nproc", "2", "--out", str(out)]
    cmd = [sys.executable, str(ROOT / "main.py"), *args]
    kw = {"cwd": ROOT, "env": env, "stderr": subprocess.PIPE, "text": True}
    with subprocess.Popen(cmd, start_new_session=True, **kw) as run:
        for line in run.stderr:  # wait until the ranks train
            if "epoch 1/500" in line:
                break
        os.killpg(run.pid, signal.SIGINT)  # what Ctrl+C in a terminal does
        _, rest = run.communicate(timeout=60)
    assert run.returncode == 130
    assert rest.strip().splitlines()[-1] == f"Interrupted: nothing was saved to {out}."
    assert "Traceback" not in rest and not out.exists()
