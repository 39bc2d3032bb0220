"""Recovery files on disk: the last few unsaved models, newest first, in the app's
`recovery/` folder (and an earlier version's single file, still offered); `file_age` says
how long ago one was kept. recovery.py decides when to write, restore and discard them."""

from __future__ import annotations

import datetime
import itertools
import sys
import time
from pathlib import Path

from trainer import checkpoint
from trainer.paths import home

RECOVERY_NAME = "recovery.safetensors"  # the one file of earlier versions, still offered
KEEP = 5  # unsaved models kept, newest first
_counter = itertools.count()


def recovery_dir() -> Path:
    path = home() / "recovery"
    path.mkdir(exist_ok=True)
    return path


def recovery_files() -> list[Path]:
    """The kept unsaved models, newest first (at most KEEP, and an earlier version's file)."""
    files = sorted(recovery_dir().glob("unsaved-*.safetensors"), reverse=True)
    legacy = home() / RECOVERY_NAME
    return files + ([legacy] if legacy.exists() else [])


def recovery_path() -> Path:
    """The newest kept unsaved model; a path that does not exist when none is kept."""
    files = recovery_files()
    return files[0] if files else home() / RECOVERY_NAME


def _new_path() -> Path:
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S-%f")
    return recovery_dir() / f"unsaved-{stamp}-{next(_counter) % 1000:03d}.safetensors"


def write_recovery(model, *, train_config, dataset: str, history: dict | None) -> Path | None:
    """Keep the model in a new recovery file (the oldest beyond KEEP go); None (and a line on
    stderr) if that fails."""
    try:
        path = checkpoint.save(
            _new_path(), model, train_config=train_config, dataset=dataset, history=history
        )
    except Exception as error:  # closing must never fail or ask; say it and go on
        print(f"latent-explorer: could not write a recovery file: {error}", file=sys.stderr)
        return None
    for old in recovery_files()[KEEP:]:
        old.unlink(missing_ok=True)
    return path


def discard_recovery(path: Path | None = None) -> None:
    """Delete the kept model at `path` (every kept model when None)."""
    for old in [path] if path is not None else recovery_files():
        old.unlink(missing_ok=True)


def age_text(seconds: float, then: datetime.datetime) -> str:
    """When something was made, as a person says it: "just now", "12 minutes ago",
    "3 hours ago", "yesterday at 14:02", "on 2026-11-30 at 14:02"."""
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        minutes = int(seconds // 60)
        return f"{minutes} minute{'s' * (minutes != 1)} ago"
    today = datetime.date.today()
    if then.date() == today and seconds < 12 * 3600:
        hours = int(seconds // 3600)
        return f"{hours} hour{'s' * (hours != 1)} ago"
    clock = then.strftime("%H:%M")
    if then.date() == today:
        return f"today at {clock}"
    if then.date() == today - datetime.timedelta(days=1):
        return f"yesterday at {clock}"
    return f"on {then:%Y-%m-%d} at {clock}"


def file_age(path: Path) -> str:
    mtime = path.stat().st_mtime
    return age_text(time.time() - mtime, datetime.datetime.fromtimestamp(mtime))
