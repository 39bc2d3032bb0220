"""`main.py train` and `main.py eval`: end to end in a subprocess, and in-process for errors."""

import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest

import main

ROOT = Path(__file__).resolve().parents[2]
EPOCH_LINE = re.compile(
    r"epoch (\d+)/(\d+)  train loss [\d.]+  val loss [\d.]+  [\d,]+ samples/s  ETA [\d:-]+"
)


@pytest.fixture(scope="module")
def cli_run(tmp_path_factory, latent_explorer):
    """A deep mlp with code size 2 trained on digits from the command line, and its eval."""
    tmp = tmp_path_factory.mktemp("cli")
    out = tmp / "x.safetensors"
    train = latent_explorer(
        ["train", "--dataset", "digits", "--backbone", "mlp", "--hidden", "64,32",
         "--code-size", "2", "--epochs", "60", "--lr", "3e-3", "--seed", "0", "--out", str(out)],
        tmp, timeout=600,
    )  # fmt: skip
    evaluated = latent_explorer(["eval", str(out), "--json"], tmp, timeout=600)
    return out, train, evaluated


def test_train_then_eval_json_end_to_end(cli_run):
    out, train, evaluated = cli_run
    assert train.returncode == 0, train.stderr
    assert out.is_file() and not list(out.parent.glob("*.tmp"))
    epochs = [EPOCH_LINE.search(line) for line in train.stderr.splitlines()]
    assert [m.groups() for m in epochs if m] == [(str(i), "60") for i in range(1, 61)]
    assert evaluated.returncode == 0, evaluated.stderr
    report = json.loads(evaluated.stdout)  # one JSON object, nothing else on stdout
    assert report["objective"] == "ae" and report["backbone"] == "mlp"
    assert report["code_size"] == 2 and report["dataset"] == "digits"
    assert report["world_size"] == 1  # an ordinary run: one process


RATE_KEYS = {"bits_per_dim", "bytes_per_image", "psnr_db", "pca_psnr_db", "jpeg_bytes",
             "jpeg_psnr_db"}  # fmt: skip


def test_eval_json_reports_rate_distortion_and_latent_regularity(cli_run):
    report = json.loads(cli_run[2].stdout)
    rows = report["rate_distortion"]
    assert [r["bits_per_dim"] for r in rows] == [2, 3, 4, 5, 6, 8, 10, 12, 16]
    assert all(set(r) >= RATE_KEYS and r["jpeg_bytes"] > 0 for r in rows)
    assert rows[-1]["psnr_db"] > rows[0]["psnr_db"]
    assert report["png_bytes_per_image"] > 0 and report["png_psnr_db"] > 40
    assert report["latent_roughness"] > 0 and 0 <= report["latent_holes"] <= 1
    assert "colour_psnr_db" not in report and "factor_table" not in report  # digits: neither


def test_a_deep_code_size_2_autoencoder_beats_pca_on_digits(cli_run):
    report = json.loads(cli_run[2].stdout)
    assert report["test_mse"] < 0.85 * report["pca_test_mse"], report


def test_eval_prints_a_table_with_denoising_figures(tmp_path, capsys):
    out = tmp_path / "dn.safetensors"
    args = ["train", "--dataset", "digits", "--backbone", "conv", "--hidden", "8,16",
            "--objective", "denoising", "--noise", "gaussian:0.3", "--epochs", "2",
            "--out", str(out)]  # fmt: skip
    assert main.main(args) == 0 and out.is_file()
    capsys.readouterr()
    assert main.main(["eval", str(out)]) == 0
    table = dict(line.split(None, 1) for line in capsys.readouterr().out.splitlines())
    assert table["objective"] == "denoising" and table["backbone"] == "conv"
    assert float(table["denoised_psnr_db"]) > 0 and float(table["noisy_psnr_db"]) > 0


def test_a_diverging_run_says_so_and_saves_nothing(tmp_path, capsys):
    out = tmp_path / "x.safetensors"
    assert main.main(["train", "--lr", "1e12", "--epochs", "3", "--out", str(out)]) == 1
    assert capsys.readouterr().err.splitlines()[-1].startswith("Training diverged at step ")
    assert not out.exists()


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["train", "--dataset", "nonesuch"], "nonesuch"),
        (["train", "--dataset", "folder:/no/such/folder"], "folder"),
        (["train", "--backbone", "resnet"], "backbone"),
        (["train", "--code-size", "0"], "--code-size"),
        (["train", "--lr", "-1"], "--lr"),
        (["train", "--noise", "gaussian:abc"], "noise"),
        (["train", "--noise", "fog:0.5"], "noise"),
        (["train", "--hidden", "64,x"], "hidden"),
        (["train", "--epochs", "0"], "--epochs"),
        (["train", "--out", "{tmp}/a-file/x.safetensors"], "--out"),
        (["train", "--out", "{tmp}"], "--out"),
    ],
)
def test_bad_train_arguments_exit_2_with_one_sentence(tmp_path, capsys, args, says):
    out = tmp_path / "x.safetensors"
    (tmp_path / "a-file").write_text("a file, not a folder")
    args = [a.format(tmp=tmp_path) for a in args]
    with pytest.raises(SystemExit) as exit_:
        main.main(args if "--out" in args else [*args, "--out", str(out)])
    err = capsys.readouterr().err
    assert exit_.value.code == 2
    assert err.count("\n") == 1 and err.startswith("latent-explorer train: ") and says in err
    assert err.rstrip().endswith(".") and not out.exists()


@pytest.mark.parametrize("content", [None, b"not a checkpoint at all", b""])
def test_eval_of_an_unreadable_checkpoint_exits_2_with_one_sentence(tmp_path, capsys, content):
    path = tmp_path / "bad.safetensors"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(SystemExit) as exit_:
        main.main(["eval", str(path), "--json"])
    err = capsys.readouterr().err
    assert exit_.value.code == 2 and err.count("\n") == 1 and str(path) in err


def test_bad_arguments_exit_2_in_a_real_process(tmp_path, latent_explorer):
    result = latent_explorer(["train", "--code-size", "0", "--out", str(tmp_path / "x")], tmp_path)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.count("\n") == 1 and "--code-size" in result.stderr


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT is POSIX")
def test_ctrl_c_during_train_exits_130_and_saves_nothing(tmp_path):
    out = tmp_path / "x.safetensors"
    env = {**os.environ, "LATENT_EXPLORER_HOME": str(tmp_path), "OMP_NUM_THREADS": "1"}
    cmd = [sys.executable, str(ROOT / "main.py"), "train", "--epochs", "100000",
           "--batch-size", "16", "--out", str(out)]  # fmt: skip
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stderr=subprocess.PIPE, text=True)
    try:
        for line in proc.stderr:  # training is under way once an epoch line appears
            if EPOCH_LINE.search(line):
                break
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=120)
    finally:
        proc.kill()
    assert proc.returncode == 130
    assert err.splitlines()[-1] == f"Interrupted: nothing was saved to {out}."
    assert not out.exists() and not list(tmp_path.glob("*.tmp"))
