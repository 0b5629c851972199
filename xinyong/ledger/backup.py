"""``xinyong backup OUT`` / ``xinyong restore IN``: the store with the keys it needs.

A backup is a directory:

* ``store.sqlite`` (SQLite's online backup API: a consistent copy while the platform runs) or
  ``store.pgdump`` (``pg_dump -Fc``, restored with ``pg_restore``);
* ``keys/``: the ledger's Ed25519 signing key and its retired public keys, and the key file of
  the ID-number encryption (``secret.key``) when the key lives in a file. A key given by the
  environment (``XINYONG_SECRET_KEY``) is NOT copied: the backup says so in ``manifest.json`` and
  the command prints it, so whoever keeps the backup knows where the other half is;
* ``manifest.json``: the dialect, the ledger head (seq, hash) at the time, each file's SHA-256.

A restore refuses a store that holds data, checks every file against the manifest, and puts
keys back only where none is (a different key already there is refused: checkpoints signed by
one key do not verify under another). ``xinyong ledger verify --mirror DIR`` then compares the
restored head with the checkpoints a mirror holds ("restored store ends at seq N; checkpoints
reach seq M").
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine

from xinyong.core.errors import Conflict, InvalidInput
from xinyong.core.settings import get_settings
from xinyong.ledger.signing import KEY_FILE_ENV, KEY_FILE_NAME, RETIRED_KEYS_DIR, _key_path

MANIFEST = "manifest.json"
SQLITE_FILE = "store.sqlite"
PG_FILE = "store.pgdump"
FORMAT = "xinyong-backup/1"
# Tables whose rows make a store "not empty" (facts and the ledger).
_DATA_TABLES = ("ledger_entries", "subjects", "records")


@dataclass
class BackupResult:
    directory: Path
    dialect: str
    head_seq: int
    files: dict[str, str]
    keys_elsewhere: list[tuple[str, str]] = field(default_factory=list)  # (English, Chinese)


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _pg_url(engine: Engine) -> str:
    return engine.url.set(drivername="postgresql").render_as_string(hide_password=False)


def _head(engine: Engine) -> tuple[int, str]:
    with engine.connect() as conn:
        if not inspect(conn).has_table("ledger_head"):
            return 0, ""
        row = conn.execute(text("SELECT seq, entry_hash FROM ledger_head WHERE id = 1")).first()
    return (int(row[0]), str(row[1])) if row else (0, "")


def _key_files() -> tuple[list[tuple[str, Path]], list[tuple[str, str]]]:
    """(name in the backup, path) of every key file, and the keys kept elsewhere."""
    settings = get_settings()
    files: list[tuple[str, Path]] = []
    elsewhere: list[tuple[str, str]] = []
    signing, _explicit = _key_path()
    if signing.exists():
        files.append((f"keys/{KEY_FILE_NAME}", signing))
    retired = signing.parent / RETIRED_KEYS_DIR
    if retired.is_dir():
        files.extend((f"keys/{RETIRED_KEYS_DIR}/{p.name}", p) for p in sorted(retired.glob("*.pem")))
    if settings.secret_key:
        elsewhere.append(
            (
                "the ID-number encryption key is XINYONG_SECRET_KEY (environment): it is NOT in this "
                "backup; without it the encrypted ID numbers cannot be read after a restore",
                "身份证号加密密钥来自环境变量 XINYONG_SECRET_KEY，未包含在本备份中；恢复后缺少它将无法解密身份证号",
            )
        )
    else:
        secret = Path(settings.var_dir) / "secret.key"
        if secret.exists():
            files.append(("keys/secret.key", secret))
    return files, elsewhere


def backup(engine: Engine, out: Path, *, schema: str = "", include_keys: bool = True) -> BackupResult:
    """Write the backup directory ``out`` (which must not exist or be empty). ``include_keys``
    False: the key files stay where they are and the result (and manifest) says where."""
    if out.exists() and any(out.iterdir()):
        raise Conflict(
            f"Backup directory {out} is not empty",
            f"备份目录 {out} 不是空目录",
            code="backup.out_not_empty",
            field="out",
            value=str(out),
        )
    out.mkdir(parents=True, exist_ok=True)
    dialect = engine.dialect.name
    head_seq, head_hash = _head(engine)
    if dialect == "sqlite":
        target = out / SQLITE_FILE
        source = sqlite3.connect(str(engine.url.database))
        dest = sqlite3.connect(str(target))
        try:
            source.backup(dest)  # the online backup API: consistent while writers run
        finally:
            dest.close()
            source.close()
    elif dialect == "postgresql":
        target = out / PG_FILE
        cmd = ["pg_dump", "-Fc", "-f", str(target), "--no-owner"]
        if schema:
            cmd += ["-n", schema]
        subprocess.run([*cmd, _pg_url(engine)], check=True, capture_output=True)
    else:  # pragma: no cover - only the two stores exist
        raise InvalidInput(f"Unsupported store {dialect}", f"不支持的数据库 {dialect}")
    files = {target.name: _sha256(target)}
    key_files, elsewhere = _key_files()
    if not include_keys:
        elsewhere += [
            (
                f"key NOT in this backup (--without-keys): {path}; back it up apart, or a restore "
                "cannot sign checkpoints / read ID numbers",
                f"密钥未包含在本备份中（--without-keys）：{path}；请另行备份，否则恢复后无法签名检查点或解密身份证号",
            )
            for _name, path in key_files
        ]
        key_files = []
    for name, path in key_files:
        dest_path = out / name
        dest_path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, dest_path)
        os.chmod(dest_path, 0o600)
        files[name] = _sha256(dest_path)
    manifest: dict[str, Any] = {
        "format": FORMAT,
        "dialect": dialect,
        "schema": schema,
        "created_at": datetime.now(UTC).isoformat(),
        "ledger_head": {"seq": head_seq, "entry_hash": head_hash},
        "files": files,
        "keys_not_included": [en for en, _zh in elsewhere],
    }
    (out / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=2), "utf-8")
    return BackupResult(out, dialect, head_seq, files, elsewhere)


def _store_has_data(engine: Engine) -> bool:
    with engine.connect() as conn:
        names = set(inspect(conn).get_table_names())
        for table in _DATA_TABLES:
            if table in names and conn.execute(text(f"SELECT 1 FROM {table} LIMIT 1")).first():
                return True
    return False


@dataclass
class RestoreResult:
    head_seq: int
    keys_restored: list[str]
    keys_elsewhere: list[str]


def restore(engine: Engine, source: Path, *, schema: str = "") -> RestoreResult:
    """Restore the backup directory ``source`` into an EMPTY store (refused otherwise)."""
    manifest_path = source / MANIFEST
    if not manifest_path.exists():
        raise InvalidInput(
            f"{source} is not a backup (no {MANIFEST})",
            f"{source} 不是备份目录（缺少 {MANIFEST}）",
            code="backup.not_a_backup",
            field="in",
            value=str(source),
        )
    manifest = json.loads(manifest_path.read_text("utf-8"))
    dialect = engine.dialect.name
    if manifest.get("dialect") != dialect:
        raise InvalidInput(
            f"The backup is of a {manifest.get('dialect')} store; this store is {dialect}",
            f"备份来自 {manifest.get('dialect')} 数据库，当前数据库为 {dialect}",
            code="backup.dialect_mismatch",
        )
    for name, digest in manifest["files"].items():
        if _sha256(source / name) != digest:
            raise Conflict(
                f"Backup file {name} does not match its manifest (damaged or altered)",
                f"备份文件 {name} 与清单不符（损坏或被改动）",
                code="backup.file_changed",
                field=name,
            )
    if _store_has_data(engine):
        raise Conflict(
            "The store already holds data; restore only into an empty store",
            "目标数据库已有数据；只能恢复到空数据库",
            code="backup.store_not_empty",
        )
    # Keys first: a different key already in place is refused before the store is touched.
    restored: list[str] = []
    plan: list[tuple[Path, Path]] = []
    signing, _explicit = _key_path()
    for name in manifest["files"]:
        if not name.startswith("keys/"):
            continue
        rel = name.removeprefix("keys/")
        if rel == "secret.key":
            dest = Path(get_settings().var_dir) / "secret.key"
        elif rel == KEY_FILE_NAME:
            dest = signing
        else:
            dest = signing.parent / rel
        if dest.exists():
            if _sha256(dest) != manifest["files"][name]:
                raise Conflict(
                    f"A different key is already at {dest}; move it away or point {KEY_FILE_ENV} / "
                    "XINYONG_VAR_DIR elsewhere before restoring",
                    f"{dest} 已有另一把密钥；请先移走，或将 {KEY_FILE_ENV} / XINYONG_VAR_DIR 指向别处再恢复",
                    code="backup.key_conflict",
                    field="key",
                    value=str(dest),
                )
            continue
        plan.append((source / name, dest))
    if dialect == "sqlite":
        src = sqlite3.connect(str(source / SQLITE_FILE))
        engine.dispose()
        dest_db = sqlite3.connect(str(engine.url.database))
        try:
            src.backup(dest_db)
        finally:
            dest_db.close()
            src.close()
    else:
        cmd = ["pg_restore", "--no-owner", "--clean", "--if-exists", "--single-transaction"]
        engine.dispose()
        subprocess.run([*cmd, "-d", _pg_url(engine), str(source / PG_FILE)], check=True, capture_output=True)
    for src_path, dest in plan:
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src_path, dest)
        os.chmod(dest, 0o600)
        restored.append(str(dest))
    head_seq, _hash = _head(engine)
    return RestoreResult(head_seq, restored, list(manifest.get("keys_not_included", [])))
