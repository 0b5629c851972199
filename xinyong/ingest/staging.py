"""Staged input of a submission: what crash recovery re-reads to finish it.

A submission bigger than one batch is applied in short transactions (``submission.py``); if the
process dies half-way (``kill -9``, power loss), the rows already committed stay, and recovery must
apply the rest. So the input is copied to ``var/ingest-staging/`` before the first row is stored
(a file as received; rows given in memory as JSON Lines) and removed after the final commit.

While a process applies a submission it holds an exclusive ``flock`` on the staged file: the OS
drops it when the process dies, however it dies, so recovery (``recovery.py``) tells a crashed
submission (lock free) from one another process is still applying (lock taken) without any
heartbeat in the store. Staging is local to the machine: processes applying submissions to one
store share its ``var`` directory.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import orjson

from xinyong.core.settings import get_settings
from xinyong.ingest.parsing import json_safe

# Suffix of rows given in memory, staged as JSON Lines (one object per line, in row order).
ROWS_SUFFIX = ".rows.jsonl"
FILE_SUFFIX = ".file"
_COPY_CHUNK = 1 << 20


def staging_dir() -> Path:
    path = get_settings().var_dir / "ingest-staging"
    path.mkdir(parents=True, exist_ok=True)
    return path


@dataclass
class Staged:
    """A staged input, locked by this process while it is open."""

    submission_id: str
    path: Path
    handle: IO[bytes] | None = field(default=None, repr=False)

    @property
    def is_rows(self) -> bool:
        return self.path.name.endswith(ROWS_SUFFIX)

    def open(self) -> IO[bytes]:
        """A fresh read handle at the start of the staged bytes."""
        return self.path.open("rb")

    def discard(self) -> None:
        """After the final commit: the input is no longer needed (the lock goes with it)."""
        self.release()
        self.path.unlink(missing_ok=True)

    def release(self) -> None:
        if self.handle is not None:
            self.handle.close()  # closing drops the flock
            self.handle = None


def _lock(path: Path) -> IO[bytes] | None:
    handle = path.open("rb")
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        return None
    return handle


def _create(final: Path) -> tuple[Path, IO[bytes]]:
    """The temporary file a staged copy is written to, locked from its creation (the lock follows
    the file through its rename), so a recovery sweep never takes it for an orphan."""
    tmp = final.with_name(final.name + ".tmp")
    handle = tmp.open("wb+")
    fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    return tmp, handle


def _finish(submission_id: str, tmp: Path, handle: IO[bytes], final: Path) -> Staged:
    # Durable before the submission's first chunk commits: recovery must find it.
    handle.flush()
    os.fsync(handle.fileno())
    tmp.replace(final)
    return Staged(submission_id, final, handle)


def stage_stream(submission_id: str, stream: IO[bytes], max_bytes: int) -> Staged:
    """Copy an uploaded file (at most ``max_bytes`` + 1 bytes: the parser then refuses it as too
    large with its usual error)."""
    final = staging_dir() / f"{submission_id}{FILE_SUFFIX}"
    tmp, out = _create(final)
    try:
        left = max_bytes + 1
        while left > 0:
            chunk = stream.read(min(_COPY_CHUNK, left))
            if not chunk:
                break
            out.write(chunk)
            left -= len(chunk)
        return _finish(submission_id, tmp, out, final)
    except BaseException:
        out.close()
        tmp.unlink(missing_ok=True)
        raise


def stage_rows(submission_id: str, rows: Iterable[Mapping[str, Any] | Any]) -> Staged:
    """Rows given in memory, one JSON object per line (their values as the API received them)."""
    final = staging_dir() / f"{submission_id}{ROWS_SUFFIX}"
    tmp, out = _create(final)
    try:
        for row in rows:
            value = json_safe(dict(row)) if isinstance(row, Mapping) else json_safe(row)
            out.write(orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS))
            out.write(b"\n")
        return _finish(submission_id, tmp, out, final)
    except BaseException:
        out.close()
        tmp.unlink(missing_ok=True)
        raise


def find(submission_id: str) -> Staged | None:
    """The staged input of a submission, locked for this process; None when there is none, or
    when another live process holds it (it is still applying that submission)."""
    directory = staging_dir()
    for suffix in (FILE_SUFFIX, ROWS_SUFFIX):
        path = directory / f"{submission_id}{suffix}"
        if path.exists():
            handle = _lock(path)
            if handle is None:
                return None
            return Staged(submission_id, path, handle)
    return None


def is_live(submission_id: str) -> bool:
    """Another process holds the staged input of this submission (it is applying it)."""
    directory = staging_dir()
    for suffix in (FILE_SUFFIX, ROWS_SUFFIX):
        path = directory / f"{submission_id}{suffix}"
        if path.exists():
            handle = _lock(path)
            if handle is None:
                return True
            handle.close()
    return False


def sweep(keep: set[str]) -> int:
    """Remove staged files nobody holds whose submission is not in ``keep`` (the ``applying``
    ones): left by a process killed before its submission's first commit (nothing of it was
    stored) or after its last one. Returns how many."""
    removed = 0
    for path in staging_dir().iterdir():
        sub_id = path.name.split(".", 1)[0]
        if sub_id in keep:
            continue
        handle = _lock(path)
        if handle is None:
            continue  # a live process is staging or applying it
        try:
            path.unlink(missing_ok=True)
            removed += 1
        finally:
            handle.close()
    return removed
