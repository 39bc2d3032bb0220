"""A run on every GPU from the app: the training child launches one rank per GPU through
trainer/elastic.py and relays rank 0's progress as its own.

The child (`serve`) has already sent Ready from a CPU copy of the model (the ranks build the
same seeded weights); it listens on a localhost socket with a one-time key, and rank 0
(`rank_main`, `python -m trainer.distributed relay`) connects, sends every Progress (its
weights as safetensors bytes, never pickled tensors, and the history rows since the last
one) and, at the end, its history and final weights. Pause, resume and stop go the other
way; the ranks stop together at their next sync (trainer/loop.py). A rank that dies ends
the run with one sentence.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import tempfile
import threading
import time
from multiprocessing.connection import Client, Listener
from pathlib import Path

from safetensors.torch import load as st_load
from safetensors.torch import save as st_save

from trainer import distributed, elastic

ADDRESS, KEY, JOB = "LATENT_EXPLORER_RELAY", "LATENT_EXPLORER_RELAY_KEY", "LATENT_EXPLORER_JOB"


PAUSE_S = 7 * 24 * 3600  # while rank 0 pauses, the others wait in a collective this long
CPU_RANKS = "LATENT_EXPLORER_CPU_RANKS"  # tests: this many gloo ranks for a cpu run


def wanted(device: str) -> int:
    """How many ranks a run's device asks for: every GPU for cuda-all, else 1 (no relay);
    CPU_RANKS makes a cpu run relayed ranks too, so tests exercise this without GPUs."""
    from trainer.devices import ALL_GPUS

    if device == "cpu" and os.environ.get(CPU_RANKS, "").isdigit():
        return max(1, int(os.environ[CPU_RANKS]))
    return distributed.processes(None, device) if device == ALL_GPUS else 1


class Proxy:
    """What the child's gate controls: commands go to rank 0 once it has connected."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._conn = None
        self._last = None  # the latest command, replayed when rank 0 connects
        self.paused = False

    def _say(self, command: str) -> None:
        with self._lock:
            self._last = command
            if self._conn is not None:
                with contextlib.suppress(OSError):
                    self._conn.send(command)

    def pause(self) -> None:
        self.paused = True
        self._say("pause")

    def resume(self) -> None:
        self.paused = False
        self._say("resume")

    def stop(self) -> None:
        self._say("stop")

    def connect(self, conn) -> None:
        with self._lock:
            self._conn = conn
            if self._last is not None:
                conn.send(self._last)


def serve(job: dict, nproc: int, conn, gate, weights, send) -> None:
    """The child's side: launch the ranks, relay their messages as Updates, end with Done."""
    from torch.distributed.elastic.multiprocessing.errors import ChildFailedError

    from trainer.child import Done, Update, history_digest
    from trainer.shared_weights import digest

    proxy = Proxy()
    if not gate.attach(proxy):
        send(conn, Done(began=False, version=weights.version))
        return
    key = secrets.token_bytes(16)
    listener = Listener(("localhost", 0), authkey=key)
    host, port = listener.address
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump({k: job[k] for k in ("model", "train", "load")}, f)
    env = {ADDRESS: f"{host}:{port}", KEY: key.hex(), JOB: f.name}
    ended: dict = {}
    began = time.perf_counter()
    with elastic.ranks(nproc, ["relay"], env) as (run, folder):

        def launch() -> None:
            try:
                run()
            except ChildFailedError as error:
                ended["error"] = elastic.failure(error, folder, nproc, "the run ended")
            except Exception as error:  # the launcher itself failed (no free port ...)
                ended["error"] = f"The GPUs' ranks could not start ({error}): train on one GPU."
            finally:  # wake the accept below when rank 0 never connected
                if "connected" not in ended:
                    Client((host, port), authkey=key).close()

        thread = threading.Thread(target=launch, daemon=True)
        thread.start()
        rank0 = listener.accept()
        ended["connected"] = True
        proxy.connect(rank0)
        final = None
        while True:
            try:
                message = rank0.recv()
            except (EOFError, OSError):
                break
            if message[0] == "progress":
                _, progress, rows, state = message
                if state is not None:
                    weights.publish(st_load(state))
                send(conn, Update(progress, rows, weights.version, proxy.paused and not (
                    progress.done or progress.stopped or progress.error)))  # fmt: skip
            else:
                final = message
        thread.join()
    listener.close()
    os.unlink(f.name)
    if final is None:
        text = ended.get("error") or "The GPUs' ranks ended before reporting: train again."
        send(conn, Done(began=True, error=text, version=weights.version,
                        seconds=time.perf_counter() - began))  # fmt: skip
        return
    _, history, state, stopped, error = final
    error = ended.get("error") or error  # a rank that died first is the cause, not rank 0's
    state = st_load(state)
    weights.publish(state)
    send(conn, Done(
        began=True, stopped=stopped, error=error, version=weights.version, digest=digest(state),
        rows={split: len(history[split]["step"]) for split in history},
        history_digest=history_digest(history), seconds=time.perf_counter() - began,
    ))  # fmt: skip


def rank_main() -> int:
    """A rank of a run the app started: train; rank 0 reports to the child and obeys it."""
    import importlib

    from models import ModelConfig
    from trainer.child import _new_rows
    from trainer.config import TrainConfig
    from trainer.loop import Trainer

    job = json.loads(Path(os.environ[JOB]).read_text())
    tc = TrainConfig.from_dict(job["train"])
    module, name = job["load"].split(":")
    dataset = getattr(importlib.import_module(module), name)(tc.dataset)
    mc = ModelConfig.from_dict(job["model"])
    mc.input_shape = tuple(dataset.shape)
    group = distributed.setup(tc.device, timeout_s=PAUSE_S)
    trainer = Trainer(mc, tc, dataset)
    client = None
    if group.rank == 0:
        host, port = os.environ[ADDRESS].rsplit(":", 1)
        client = Client((host, int(port)), authkey=bytes.fromhex(os.environ[KEY]))
        threading.Thread(target=_obey, args=(client, trainer), daemon=True).start()
    sent = {split: 0 for split in trainer.history}
    last = None
    for last in trainer.run():
        distributed.maybe_die(last.step)
        if client is not None:
            state, last.weights = last.weights, None
            state = None if state is None else st_save(state)
            client.send(("progress", last, _new_rows(trainer.history, sent), state))
    if client is not None:
        state = st_save({k: v.detach().to("cpu", copy=True).contiguous()
                         for k, v in trainer.model.state_dict().items()})  # fmt: skip
        stopped, error = bool(last and last.stopped), last.error if last else None
        client.send(("done", trainer.history, state, stopped, error))
        client.close()
    failed = last is not None and last.error
    if failed:
        distributed.fail(last.error)
    distributed.teardown()
    return 1 if failed else 0


def _obey(client, trainer) -> None:
    while True:
        try:
            command = client.recv()
        except (EOFError, OSError):
            command = "stop"
        {"pause": trainer.pause, "resume": trainer.resume, "stop": trainer.stop}[command]()
        if command == "stop":
            return
