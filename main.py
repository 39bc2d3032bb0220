"""Latent Explorer entry point: `python main.py [gui|train|eval] ...` (gui is the default)."""

from __future__ import annotations

import argparse
import difflib
import os
import re
import sys
from pathlib import Path

from trainer import cli

COMMANDS = ("gui", "train", "eval")
NO_DISPLAY = (
    "No display was found (DISPLAY and WAYLAND_DISPLAY are not set), so the window cannot "
    "open: train and evaluate from here instead with `python main.py train --out "
    "run.safetensors` and `python main.py eval run.safetensors` (--help for the options)."
)


class _Parser(argparse.ArgumentParser):
    """Bad arguments exit with status 2 and one sentence, not a usage dump."""

    def error(self, message: str) -> None:
        self.exit(2, f"{self.prog}: {message[0].upper()}{message[1:].rstrip('.')}.\n")


class _Help(argparse.HelpFormatter):
    """--help gives every option's default (those that have one and do not say it)."""

    def _get_help_string(self, action) -> str:
        text = action.help or ""
        shown = action.default not in (None, False, argparse.SUPPRESS) and action.option_strings
        if shown and "default" not in text:
            text += " (default: %(default)s)"
        return text


def version() -> str:
    """The installed package's version, else the one in pyproject.toml (a source checkout)."""
    from importlib import metadata

    try:
        return metadata.version("latent-explorer")
    except metadata.PackageNotFoundError:
        text = (Path(__file__).resolve().parent / "pyproject.toml").read_text()
        found = re.search(r'^version\s*=\s*"([^"]+)"', text, re.MULTILINE)
        return found.group(1) if found else "unknown"


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="latent-explorer", description=__doc__, formatter_class=_Help)
    parser.add_argument("--version", action="version", version=f"%(prog)s {version()}")
    sub = parser.add_subparsers(dest="command", parser_class=_Parser)
    gui = sub.add_parser("gui", help="open the desktop app (the default)", formatter_class=_Help)
    gui.add_argument("checkpoint", nargs="?", help="a .safetensors checkpoint to open")
    train = sub.add_parser(
        "train", help="train a model from the command line and save it", formatter_class=_Help
    )
    cli.add_train_arguments(train)
    train.set_defaults(handler=cli.train, parser=train)
    evaluate = sub.add_parser(
        "eval", help="print test figures of a saved checkpoint", formatter_class=_Help
    )
    cli.add_eval_arguments(evaluate)
    evaluate.set_defaults(handler=cli.evaluate, parser=evaluate)
    return parser


def _command(argv: list[str]) -> list[str]:
    """`argv` with its command first: gui when none is given (or a checkpoint file is); a
    word that is no command is an error (with the nearest command), not a file to open."""
    if not argv:
        return ["gui"]
    first = argv[0]
    if first in (*COMMANDS, "-h", "--help", "--version"):
        return argv
    if first.startswith("-") or first.endswith(".safetensors") or Path(first).exists():
        return ["gui", *argv]
    near = difflib.get_close_matches(first, COMMANDS, n=1, cutoff=0.5)
    hint = f"did you mean '{near[0]}'?" if near else "use gui, train or eval (--help says more)."
    sys.stderr.write(f"latent-explorer: Unknown command '{first}': {hint}\n")
    raise SystemExit(2)


def no_display() -> bool:
    """On Linux and the BSDs, no X11 or Wayland display and no Qt platform chosen: Qt would
    abort (status 134) when the window is made."""
    if not sys.platform.startswith(("linux", "freebsd", "openbsd", "netbsd")):
        return False
    env = os.environ
    return not (env.get("DISPLAY") or env.get("WAYLAND_DISPLAY") or env.get("QT_QPA_PLATFORM"))


def main(argv: list[str] | None = None) -> int:
    argv = _command(sys.argv[1:] if argv is None else list(argv))
    args = build_parser().parse_args(argv)
    if args.command == "gui":
        if no_display():
            sys.stderr.write(f"latent-explorer: {NO_DISPLAY}\n")
            return 2
        from explorer.app import run_app

        return run_app(args.checkpoint)
    try:
        return args.handler(args)
    except cli.UsageError as error:  # already one sentence; file names keep their case
        args.parser.exit(2, f"{args.parser.prog}: {error}\n")


if __name__ == "__main__":
    sys.exit(main())
