"""A model's weights in shared memory: written by the training process, read by the app.

The block holds a header (the newest version) and two slots, each a full copy of the state
dict's tensors at fixed offsets plus the version it holds. Version v lives in slot v % 2,
so the writer fills one slot while readers copy the other, and nothing is pickled. Each
slot has a lock: the writer holds it while it fills the slot, a reader while it copies; a
reader never waits (it tries the lock and comes back later), and a version is published in
the header only after its slot is complete, so a reader never sees half-written weights.
"""

from __future__ import annotations

import contextlib
import hashlib
from multiprocessing import shared_memory

import torch

ALIGN = 64  # bytes: every tensor and slot starts on a cache line
HEADER = ALIGN

Layout = list[tuple[str, str, tuple[int, ...], int]]  # (name, dtype, shape, offset in slot)


def layout_of(state: dict[str, torch.Tensor]) -> Layout:
    """Where each tensor of `state` goes inside a slot (plain data: it crosses a pipe)."""
    entries, offset = [], 0
    for name, tensor in state.items():
        entries.append(
            (name, str(tensor.dtype).removeprefix("torch."), tuple(tensor.shape), offset)
        )
        offset += -(-tensor.numel() * tensor.element_size() // ALIGN) * ALIGN
    return entries


def slot_bytes(layout: Layout) -> int:
    """Bytes of one slot: its version line plus every tensor."""
    if not layout:
        return HEADER
    _, dtype, shape, offset = layout[-1]
    size = torch.empty((), dtype=getattr(torch, dtype)).element_size()
    return HEADER + offset + max(ALIGN, -(-size * _numel(shape) // ALIGN) * ALIGN)


def block_bytes(layout: Layout) -> int:
    return HEADER + 2 * slot_bytes(layout)


def digest(state: dict[str, torch.Tensor]) -> str:
    """sha256 over every tensor's bytes in order: equal digests mean equal weights."""
    h = hashlib.sha256()
    for tensor in state.values():
        t = tensor.detach().to("cpu").contiguous().reshape(-1)
        h.update(t.view(torch.uint8).numpy().tobytes() if t.numel() else b"")
    return h.hexdigest()


def _numel(shape) -> int:
    n = 1
    for s in shape:
        n *= s
    return n


class SharedWeights:
    """The double-buffered block; `create=True` in the writer, attach by name in readers."""

    def __init__(self, name: str, layout: Layout, locks, create: bool = False) -> None:
        self.layout, self.locks = layout, locks
        size = block_bytes(layout)
        self.shm = shared_memory.SharedMemory(name=name, create=create, size=size if create else 0)
        if self.shm.size < size:
            self.shm.close()
            raise ValueError(f"shared block {name} holds {self.shm.size} bytes, not {size}.")
        buf, step = self.shm.buf, slot_bytes(layout)
        self._head = torch.frombuffer(buf, dtype=torch.int64, count=1, offset=0)
        self._versions, self._views = [], []
        for slot in range(2):
            base = HEADER + slot * step
            self._versions.append(torch.frombuffer(buf, dtype=torch.int64, count=1, offset=base))
            self._views.append(
                {n: self._view(buf, base + HEADER, d, s, o) for n, d, s, o in layout}
            )
        if create:
            self._head.zero_()
            for v in self._versions:
                v.zero_()

    @staticmethod
    def _view(buf, base: int, dtype: str, shape, offset: int) -> torch.Tensor:
        dt, n = getattr(torch, dtype), _numel(shape)
        if n == 0:
            return torch.empty(shape, dtype=dt)
        return torch.frombuffer(buf, dtype=dt, count=n, offset=base + offset).view(shape)

    @property
    def name(self) -> str:
        return self.shm.name

    @property
    def version(self) -> int:
        """The newest complete version (0: nothing published yet)."""
        return int(self._head[0])

    def publish(self, state: dict[str, torch.Tensor]) -> int:
        """Copy `state` (any device) into the free slot and publish it; returns its version."""
        version = self.version + 1
        slot = version % 2
        with self.locks[slot], torch.no_grad():
            for name, view in self._views[slot].items():
                view.copy_(state[name])
            self._versions[slot][0] = version
        self._head[0] = version
        return version

    def read(self, since: int = 0, timeout: float | None = None):
        """(version, CPU copies of the tensors) newer than `since`, or None when there is none
        or its slot is busy (timeout None: do not wait at all)."""
        version = self.version
        if version <= since:
            return None
        slot = version % 2
        lock = self.locks[slot]
        if not (lock.acquire(False) if timeout is None else lock.acquire(True, timeout)):
            return None
        try:
            if int(self._versions[slot][0]) != version:
                return None  # overwritten meanwhile: the next read gets a newer one
            return version, {name: view.clone() for name, view in self._views[slot].items()}
        finally:
            lock.release()

    def close(self) -> None:
        """Let go of the mapping (views first: a view keeps the buffer exported)."""
        self._head = None
        self._versions, self._views = [], []
        # A tensor handed out would keep the buffer exported; the OS frees it later then.
        with contextlib.suppress(BufferError):
            self.shm.close()

    def unlink(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.shm.unlink()


def unlink_name(name: str) -> None:
    """Remove the block `name` if it exists (a child that died before it said so)."""
    try:
        shm = shared_memory.SharedMemory(name=name)
    except FileNotFoundError:
        return
    shm.close()
    shm.unlink()
