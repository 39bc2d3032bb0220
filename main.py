"""Latent Explorer entry point: `python main.py [gui|train|eval] ...` (gui is the default)."""

from __future__ import annotations

import argparse
import sys

from trainer import cli


class _Parser(argparse.ArgumentParser):
    """Bad arguments exit with status 2 and one sentence, not a usage dump."""

    def error(self, message: str) -> None:
        self.exit(2, f"{self.prog}: {message[0].upper()}{message[1:].rstrip('.')}.\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="latent-explorer", description=__doc__)
    sub = parser.add_subparsers(dest="command", parser_class=_Parser)
    gui = sub.add_parser("gui", help="open the desktop app (the default)")
    gui.add_argument("checkpoint", nargs="?", help="a .safetensors checkpoint to open")
    train = sub.add_parser("train", help="train a model from the command line and save it")
    cli.add_train_arguments(train)
    train.set_defaults(handler=cli.train, parser=train)
    evaluate = sub.add_parser("eval", help="print test figures of a saved checkpoint")
    cli.add_eval_arguments(evaluate)
    evaluate.set_defaults(handler=cli.evaluate, parser=evaluate)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] not in {"gui", "train", "eval", "-h", "--help"}:
        argv = ["gui", *argv]
    args = build_parser().parse_args(argv)
    if args.command == "gui":
        from explorer.app import run_app

        return run_app(args.checkpoint)
    try:
        return args.handler(args)
    except cli.UsageError as error:  # already one sentence; file names keep their case
        args.parser.exit(2, f"{args.parser.prog}: {error}\n")


if __name__ == "__main__":
    sys.exit(main())
