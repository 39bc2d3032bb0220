"""Project-wide checks run by the test command: import contracts, lint and format."""

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _tool(name: str) -> str:
    exe = Path(sys.executable).with_name(name)
    found = str(exe) if exe.exists() else shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is not installed: install the test extra (pip install -e '.[test]')")
    return found


def test_import_contracts_hold():
    result = subprocess.run([_tool("lint-imports")], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def _contracts() -> dict[str, dict]:
    tomllib = pytest.importorskip("tomllib")  # Python 3.11 and later
    with open(ROOT / "pyproject.toml", "rb") as file:
        contracts = tomllib.load(file)["tool"]["importlinter"]["contracts"]
    return {c["name"]: c for c in contracts}


def test_the_independence_contract_lists_every_panel():
    """A new panel joins "panels do not import each other" (its module, under explorer.panels)."""
    from explorer.panels import PANELS

    modules = {".".join(cls.__module__.split(".")[:3]) for _, _, cls in PANELS}
    independent = _contracts()["panels do not import each other (they talk through the session)"]
    assert set(independent["modules"]) == modules


@pytest.mark.parametrize(
    ("file", "line", "contract"),
    [
        ("explorer/panels/samples.py", "import explorer.panels.latent", "panels do not import"),
        ("explorer/widgets/images.py", "import explorer.panels.base", "widgets import no panel"),
        ("trainer/config.py", "import explorer.bundled", "imports go one way"),
        ("models/config.py", "import PySide6.QtCore", "models and trainer import no Qt"),
    ],
)
def test_the_import_contracts_catch_a_wrong_import(tmp_path, file, line, contract):
    """Each contract fails on a copy of the tree with one import that breaks it."""
    for package in ("models", "trainer", "explorer"):
        shutil.copytree(ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("*.pyc"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    target = tmp_path / file
    target.write_text(target.read_text() + f"\n{line}  # the wrong import\n")
    result = subprocess.run([_tool("lint-imports")], cwd=tmp_path, capture_output=True, text=True)
    assert result.returncode != 0
    broken = [row for row in result.stdout.splitlines() if row.endswith("BROKEN")]
    assert len(broken) == 1 and broken[0].startswith(contract), result.stdout


def test_nothing_imports_main():
    """The top of the import layers (import-linter takes packages only, and main is a module)."""
    for path in ROOT.glob("*/**/*.py"):
        if path.parts[len(ROOT.parts)] in ("models", "trainer", "explorer", "benchmarks"):
            for node in ast.walk(ast.parse(path.read_text(), str(path))):
                names = (
                    [a.name for a in node.names] if isinstance(node, ast.Import)
                    else [node.module or ""] if isinstance(node, ast.ImportFrom) else []
                )  # fmt: skip
                assert "main" not in [n.split(".")[0] for n in names], path


def test_ruff_lint_is_clean():
    result = subprocess.run([_tool("ruff"), "check", "."], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_format_is_clean():
    cmd = [_tool("ruff"), "format", "--check", "."]
    result = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
