"""The `train` and `eval` commands: their arguments and what they do (main.py dispatches)."""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import fields
from pathlib import Path

from models import ModelConfig
from models.config import Setting, owners
from trainer import data, distributed, elastic, recipes
from trainer.config import TrainConfig, settings
from trainer.terminal import ProgressPrinter, reading


class UsageError(Exception):
    """Bad arguments or an unreadable file: one sentence; the command exits with status 2."""


def _hidden(text: str) -> list[int]:
    try:
        return [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"hidden must be layer widths separated by commas, like 256,128, not {text!r}"
        ) from None


RECIPE = " (default: the recipe's for the dataset and backbone)"
TYPES = {"int": int, "float": float, "ints": _hidden}


def _help(s: Setting) -> str:
    """A flag's --help: the setting's help, who uses it, and its default."""
    text = s.describe()
    if s.kind == "dataset":
        text += f" Known: {', '.join(data.names())}."
    if owners(s.name):
        text += f" Used by {', '.join(owners(s.name))}."
    if s.name in recipes.FIELDS:
        text += RECIPE
    else:
        text += f" (default: {s.default})"
    return text.replace("%", "%%")


def add_train_arguments(parser: argparse.ArgumentParser) -> None:
    """A flag for every setting of trainer.config.settings(), in its group, then --out.

    Flags the recipe sets default to None and are filled in by `configs` from
    trainer.recipes for the dataset and backbone, so the form and the command line agree.
    """
    groups = {}
    for s in settings():
        if s.group not in groups:
            groups[s.group] = parser.add_argument_group(s.group.lower())
        options = {"help": _help(s)}
        if s.name not in recipes.FIELDS:
            options["default"] = s.default
        if s.kind in TYPES:
            options["type"] = TYPES[s.kind]
        if s.kind == "choice":
            options["choices"] = list(s.options)
        groups[s.group].add_argument(s.flag, **options)
        for choice in s.options if s.switches else ():  # --grey, --colour: --channels grey
            if choice != s.default:
                groups[s.group].add_argument(f"--{choice}", dest=s.name, action="store_const",
                                             const=choice, help=f"{s.flag} {choice}")  # fmt: skip
    groups.get("Training", parser).add_argument(
        "--nproc", type=int, default=None, metavar="N",
        help="train on N processes through torch.distributed (DDP): N CPU ranks of one "
        "thread each (gloo) or N GPUs (nccl); --batch-size is the global batch (default: 1; "
        "with --device cuda-all, every GPU)",
    )  # fmt: skip
    parser.add_argument("--out", required=True, help="where to save the checkpoint (.safetensors)")


def add_eval_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("checkpoint", help="a .safetensors checkpoint saved by train")
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def configs(
    args: argparse.Namespace, input_shape, n_train: int | None = None
) -> tuple[ModelConfig, TrainConfig]:
    """The two configs from parsed arguments, flags not given taken from the recipe for
    these images (n_train of them) and backbone; ValueError names a bad one."""
    recipe = recipes.defaults(input_shape, args.backbone, n_train, args.epochs, args.code_size)
    args = argparse.Namespace(**vars(args))
    for key, value in recipe.items():
        if getattr(args, key, None) is None:
            setattr(args, key, value)
    model = {f.name: getattr(args, f.name) for f in fields(ModelConfig) if f.name != "input_shape"}
    model_config = ModelConfig(input_shape=tuple(input_shape), **model)
    train_config = TrainConfig(**{f.name: getattr(args, f.name) for f in fields(TrainConfig)})
    model_config.validate()
    train_config.validate()
    return model_config, train_config


def _fail(message) -> UsageError:
    """One sentence on one line; one that starts with a config field names its flag instead."""
    text = " ".join(str(message).split()).rstrip(".") + "."
    for f in (*fields(ModelConfig), *fields(TrainConfig)):
        if text.startswith(f"{f.name} "):
            text = f"--{f.name.replace('_', '-')}{text[len(f.name) :]}"
    first = text.split(" ", 1)[0]
    if first.isalpha() and first.islower():  # a word, not a flag or a file name
        text = text[0].upper() + text[1:]
    return UsageError(text)


def _check_out(out: Path) -> None:
    """Refuse an --out that cannot be written before training, not after."""
    if out.is_dir():
        raise _fail(f"--out {out} is a folder: give a file name, like {out / 'run.safetensors'}.")
    folder = next(p for p in (out.parent, *out.parent.parents) if p.exists())
    if folder != out.parent and folder.is_dir():
        raise _fail(
            f"The folder {out.parent} for --out does not exist: create it first "
            f"(mkdir -p {out.parent}) or choose another."
        )
    if not folder.is_dir() or not os.access(folder, os.W_OK):
        raise _fail(f"--out {out} cannot be written: choose a folder you can write to.")


def train(args: argparse.Namespace) -> int:
    """`main.py train`: train on the dataset, print progress, save the checkpoint; with
    --nproc N (or as one of torchrun's ranks) on several processes (trainer/elastic.py
    starts them, trainer/distributed.py joins them)."""
    nproc = distributed.processes(getattr(args, "nproc", None), args.device)
    if nproc < 1:
        raise UsageError(f"--nproc must be at least 1, not {nproc}.")
    if distributed.environment() is not None:
        return _rank(args)
    if nproc > 1:
        _check_out(Path(args.out))
        return elastic.launch(args, nproc)
    try:
        return _train(args)
    except KeyboardInterrupt:
        end_bar = "\n" if sys.stderr.isatty() else ""  # the bar's line stays as it was
        print(f"{end_bar}Interrupted: nothing was saved to {args.out}.", file=sys.stderr)
        return 130


def _rank(args: argparse.Namespace) -> int:
    """One of several ranks: rank 0 alone prints; a failure is one sentence for the launcher
    (or, under torchrun, on stderr)."""
    try:
        return _train(args)
    except UsageError as error:
        if not distributed.fail(f"latent-explorer train: {error}") and (
            distributed.environment()[0] == 0
        ):
            raise
        return 2
    except KeyboardInterrupt:
        return 130
    finally:
        distributed.teardown()


def _say(*args, **kw) -> None:
    """print, on rank 0 only."""
    group = distributed.current()
    if group is None or group.rank == 0:
        print(*args, **kw)


def _train(args: argparse.Namespace) -> int:
    from trainer import checkpoint
    from trainer.loop import Trainer

    _check_out(Path(args.out))
    try:
        dataset = data.load(args.dataset, **data.options(args), progress=reading())
        model_config, train_config = configs(args, dataset.shape, len(dataset.train_x))
        if distributed.environment() is not None:
            distributed.setup(train_config.device)
        trainer = Trainer(model_config, train_config, dataset)
    except (ValueError, data.DatasetError) as error:
        raise _fail(error) from None
    group = distributed.current()
    ranks = f" on {group.world} ranks" if group else ""
    _say(
        f"Training {model_config.backbone} {model_config.objective} (code size "
        f"{model_config.code_size}) on {dataset.name}, {len(dataset.train_x)} images, "
        f"on {trainer.device}{ranks}.",
        file=sys.stderr,
    )
    printer = ProgressPrinter()
    last = None
    for last in trainer.run():
        if group is None or group.rank == 0:
            printer.update(last)
        distributed.maybe_die(last.step)
    printer.close()
    if last is None or last.error:
        text = last.error if last else "Training did not run."
        if not distributed.fail(text):
            _say(text, file=sys.stderr)
        return 1
    if group is not None and group.rank != 0:
        return 0
    if last.epoch < last.epochs:
        print(
            f"Stopped early at epoch {last.epoch} of {last.epochs}: the validation loss had not "
            f"improved for {train_config.patience} epochs; kept the weights of epoch "
            f"{last.best_epoch}.",
            file=sys.stderr,
        )
    elif last.best_epoch and last.best_epoch < last.epoch:
        print(
            f"Kept the weights of epoch {last.best_epoch}, the best on validation.", file=sys.stderr
        )
    try:
        path = checkpoint.save(
            args.out, trainer.model, train_config=train_config, dataset=dataset.name,
            history=trainer.history, world_size=group.world if group else 1,
        )  # fmt: skip
    except checkpoint.CheckpointError as error:
        raise _fail(error) from None
    print(f"Saved {path}.")
    return 0


def _text(value) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, list):
        return " ".join(_text(v) for v in value)
    if isinstance(value, dict):
        return "  ".join(f"{k} {_text(v)}" for k, v in value.items())
    return "-" if value is None else str(value)


def _table(report: dict) -> str:
    """One `key  value` line per figure; a list of rows or a table of factors gets one line
    per entry, keyed like rate_distortion[2] or factor_table[shape]."""
    lines = []
    for key, value in report.items():
        if isinstance(value, list) and value and isinstance(value[0], dict):
            first = next(iter(value[0]))
            lines += [(f"{key}[{_text(row[first])}]", _text(row)) for row in value]
        elif isinstance(value, dict):
            lines += [(f"{key}[{k}]", _text(v)) for k, v in value.items()]
        else:
            lines.append((key, _text(value)))
    width = max(len(key) for key, _ in lines)
    return "\n".join(f"{key:<{width}}  {text}" for key, text in lines)


def evaluate(args: argparse.Namespace) -> int:
    """`main.py eval`: load a checkpoint and its dataset, print the eval report."""
    from trainer import analysis, checkpoint

    try:
        saved = checkpoint.load(args.checkpoint)
        dataset = data.load_for(saved.dataset, saved.model_config.input_shape)
        model = saved.build_model()
    except (ValueError, checkpoint.CheckpointError, data.DatasetError) as error:
        raise _fail(error) from None
    if tuple(dataset.shape) != tuple(model.input_shape):
        raise _fail(
            f"{args.checkpoint} was trained on images of shape {tuple(model.input_shape)} but "
            f"{dataset.name} now has {tuple(dataset.shape)}: evaluate it on the data it learned."
        )
    report = analysis.eval_report(model, dataset)
    report["world_size"] = int(saved.meta.get("world_size", "1"))
    print(json.dumps(report) if args.json else _table(report))
    return 0
