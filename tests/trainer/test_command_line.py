"""The command line as a person types it: a mistyped command, no display, --help, --version
and an --out folder that does not exist."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import main

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(("typed", "meant"), [("trian", "train"), ("evl", "eval"), ("giu", "gui")])
def test_a_mistyped_command_is_an_error_that_names_the_nearest(capsys, typed, meant):
    with pytest.raises(SystemExit) as exit_:
        main.main([typed, "--epochs", "1"])
    err = capsys.readouterr().err
    assert exit_.value.code == 2 and err.count("\n") == 1
    assert f"Unknown command '{typed}': did you mean '{meant}'?" in err


def test_a_word_near_no_command_lists_them(capsys):
    with pytest.raises(SystemExit) as exit_:
        main.main(["xyzzy"])
    assert exit_.value.code == 2 and "use gui, train or eval" in capsys.readouterr().err


def test_a_checkpoint_or_a_flag_first_still_opens_the_window(tmp_path):
    path = tmp_path / "run"  # an existing file without the extension
    path.write_bytes(b"x")
    assert main._command(["model.safetensors"]) == ["gui", "model.safetensors"]
    assert main._command([str(path)]) == ["gui", str(path)]
    assert main._command([]) == ["gui"]
    assert main._command(["train", "--out", "x"]) == ["train", "--out", "x"]


def _run(args, home, **env_changes):
    env = {**os.environ, "LATENT_EXPLORER_HOME": str(home), **env_changes}
    for name in [k for k, v in env_changes.items() if v is None]:
        env.pop(name)
    cmd = [sys.executable, str(ROOT / "main.py"), *args]
    return subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def test_no_display_says_so_in_one_sentence_and_exits_2(tmp_path):
    if not sys.platform.startswith("linux"):
        pytest.skip("the check is for X11 and Wayland")
    done = _run([], tmp_path, DISPLAY=None, WAYLAND_DISPLAY=None, QT_QPA_PLATFORM=None)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.count("\n") == 1 and "Reinstalling" not in done.stderr
    assert done.stderr.startswith("latent-explorer: No display was found")
    assert "main.py train" in done.stderr and "main.py eval" in done.stderr
    assert done.stderr.rstrip().endswith(".")


def test_help_gives_defaults_and_version_the_projects(capsys):
    with pytest.raises(SystemExit):
        main.main(["train", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "--seed SEED" in text and "(default: 0)" in text
    assert "(default: 0.1)" in text  # --val-fraction
    assert "(default: the recipe's" in text  # what the recipe fills in says so
    with pytest.raises(SystemExit) as exit_:
        main.main(["--version"])
    project = (ROOT / "pyproject.toml").read_text()
    wanted = re.search(r'^version = "(.+)"', project, re.MULTILINE).group(1)
    assert exit_.value.code == 0 and capsys.readouterr().out.strip() == f"latent-explorer {wanted}"


def test_out_into_a_missing_folder_is_one_sentence_and_creates_nothing(tmp_path, capsys):
    out = tmp_path / "no" / "such" / "run.safetensors"
    with pytest.raises(SystemExit) as exit_:
        main.main(["train", "--epochs", "1", "--out", str(out)])
    err = capsys.readouterr().err
    assert exit_.value.code == 2 and err.count("\n") == 1
    assert f"The folder {out.parent} for --out does not exist" in err
    assert not (tmp_path / "no").exists()
