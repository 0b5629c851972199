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


def _finish(submission_id: str, tmp: Path, final: Path) -> Staged:
    # Durable before the submission's first chunk commits: recovery must find it.
    with tmp.open("rb+") as fh:
        os.fsync(fh.fileno())
    tmp.replace(final)
    handle = _lock(final)
    assert handle is not None  # a new file nobody else knows of
    return Staged(submission_id, final, handle)


def stage_stream(submission_id: str, stream: IO[bytes], max_bytes: int) -> Staged:
    """Copy an uploaded file (at most ``max_bytes`` + 1 bytes: the parser then refuses it as too
    large with its usual error)."""
    final = staging_dir() / f"{submission_id}{FILE_SUFFIX}"
    tmp = final.with_name(final.name + ".tmp")
    with tmp.open("wb") as out:
        left = max_bytes + 1
        while left > 0:
            chunk = stream.read(min(_COPY_CHUNK, left))
            if not chunk:
                break
            out.write(chunk)
            left -= len(chunk)
    return _finish(submission_id, tmp, final)


def stage_rows(submission_id: str, rows: Iterable[Mapping[str, Any] | Any]) -> Staged:
    """Rows given in memory, one JSON object per line (their values as the API received them)."""
    final = staging_dir() / f"{submission_id}{ROWS_SUFFIX}"
    tmp = final.with_name(final.name + ".tmp")
    with tmp.open("wb") as out:
        for row in rows:
            value = json_safe(dict(row)) if isinstance(row, Mapping) else json_safe(row)
            out.write(orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS))
            out.write(b"\n")
    return _finish(submission_id, tmp, final)


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
