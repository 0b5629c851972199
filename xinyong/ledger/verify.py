"""Verification of the whole ledger: every hash, the chain, seq continuity, the head row and
every checkpoint; each break named with the entry it belongs to."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from xinyong.ledger.chain import _ENTRY_COLUMNS, _entry_problem, _read_head, _recomputed
from xinyong.ledger.checkpoints import _signature_ok
from xinyong.ledger.hashing import GENESIS_HASH, merkle_root, parse_ref
from xinyong.ledger.models import Checkpoint, LedgerEntry
from xinyong.ledger.signing import _trusted_keys

MAX_BREAKS = 100
_STREAM_BATCH = 5_000

# ---------------------------------------------------------------- verification

_BREAK_TEXT = {
    "payload_changed": ("the payload was changed", "载荷被篡改"),
    "entry_changed": ("the entry was rewritten", "条目被改写"),
    "entry_deleted": ("entries were deleted", "条目被删除"),
    "reordered": ("entries were reordered", "条目顺序被调换"),
    "chain_broken": ("the hash chain is broken", "哈希链断裂"),
    "checkpoint_mismatch": ("a checkpoint does not match", "检查点不符"),
}


@dataclass
class Break:
    """One detected break. ``seq``/``entry_kind``/``ref`` name the entry (for a deletion: the
    missing seq; its neighbours are in ``details``); ``target`` is the parsed ref."""

    kind: str
    seq: int
    entry_kind: str | None
    ref: str | None
    message: str
    message_zh: str
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def target(self) -> dict[str, Any] | None:
        return parse_ref(self.ref)

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "seq": self.seq,
            "entry_kind": self.entry_kind,
            "ref": self.ref,
            "target": self.target,
            "message": self.message,
            "message_zh": self.message_zh,
            "details": self.details,
        }


@dataclass
class VerifyResult:
    entries: int = 0
    checkpoints: int = 0
    head_seq: int = 0
    breaks: list[Break] = field(default_factory=list)
    breaks_total: int = 0
    entries_checked_from: int = 1

    @property
    def ok(self) -> bool:
        return self.breaks_total == 0

    @property
    def first_break(self) -> Break | None:
        return self.breaks[0] if self.breaks else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "entries": self.entries,
            "checkpoints": self.checkpoints,
            "head_seq": self.head_seq,
            "breaks_total": self.breaks_total,
            "first_break": self.first_break.to_dict() if self.first_break else None,
            "breaks": [b.to_dict() for b in self.breaks],
        }


def _make_break(
    kind: str, seq: int, row: Any | None, extra_en: str = "", extra_zh: str = "", **details: Any
) -> Break:
    en, zh = _BREAK_TEXT[kind]
    where = f"seq {seq}" + (f" ({row.kind} {row.ref})" if row is not None else "")
    return Break(
        kind=kind,
        seq=seq,
        entry_kind=row.kind if row is not None else None,
        ref=row.ref if row is not None else None,
        message=f"{where}: {en}" + (f"; {extra_en}" if extra_en else ""),
        message_zh=f"第 {seq} 号条目"
        + (f"（{row.kind} {row.ref}）" if row is not None else "")
        + f"：{zh}"
        + (f"；{extra_zh}" if extra_zh else ""),
        details=details,
    )


def _neighbour(row: Any | None) -> dict[str, Any] | None:
    return {"seq": row.seq, "kind": row.kind, "ref": row.ref} if row is not None else None


def verify(session: Session, *, from_seq: int = 1, prev: str = GENESIS_HASH) -> VerifyResult:
    """Recompute every hash, the chain, seq continuity and every checkpoint root and signature.

    ``first_break`` is the earliest broken entry (entry-level breaks come before checkpoint
    mismatches, which can only name a range). Incremental (``from_seq`` > 1): only the entries
    from ``from_seq`` on and the checkpoints starting there; ``prev`` is the entry hash the
    entry before must have had (the last verified checkpoint's ``last_entry_hash``)."""
    result = VerifyResult()
    found: list[tuple[int, Break]] = []

    def report(b: Break, checkpoint_level: bool = False) -> None:
        result.breaks_total += 1
        found.append((1 if checkpoint_level else 0, b))

    head0 = _read_head(session)
    keys = _trusted_keys()
    cps = list(
        session.scalars(
            select(Checkpoint)
            .where(Checkpoint.first_seq >= from_seq)
            .order_by(Checkpoint.first_seq, Checkpoint.id)
        )
    )
    result.checkpoints = len(cps)

    # Checkpoints on their own: contiguous ranges, consistent size, a valid signature.
    expected_first = from_seq
    for cp in cps:
        problems: list[tuple[str, str]] = []
        if cp.first_seq != expected_first:
            problems.append(("range does not follow the previous checkpoint", "范围与上一检查点不衔接"))
        if cp.tree_size != cp.last_seq - cp.first_seq + 1:
            problems.append(("tree size does not match its range", "树大小与范围不符"))
        if not _signature_ok(cp, keys):
            reason = "signature invalid" if cp.key_id in keys else f"unknown signing key {cp.key_id}"
            problems.append((reason, "签名无效" if cp.key_id in keys else f"签名密钥 {cp.key_id} 未知"))
        for en, zh in problems:
            report(
                _make_break(
                    "checkpoint_mismatch",
                    cp.first_seq,
                    None,
                    f"checkpoint {cp.id} (seq {cp.first_seq}-{cp.last_seq}): {en}",
                    f"检查点 {cp.id}（{cp.first_seq}-{cp.last_seq}）{zh}",
                    checkpoint_id=cp.id,
                    first_seq=cp.first_seq,
                    last_seq=cp.last_seq,
                ),
                checkpoint_level=True,
            )
        expected_first = cp.last_seq + 1

    cp_index = 0
    leaves: list[str] = []

    def close_checkpoint(cp: Checkpoint) -> None:
        if len(leaves) != cp.tree_size or merkle_root(leaves) != cp.root:
            report(
                _make_break(
                    "checkpoint_mismatch",
                    cp.first_seq,
                    None,
                    f"checkpoint {cp.id} (seq {cp.first_seq}-{cp.last_seq}): the entries no longer give its signed root",
                    f"检查点 {cp.id}（{cp.first_seq}-{cp.last_seq}）的条目与签名根哈希不符",
                    checkpoint_id=cp.id,
                    first_seq=cp.first_seq,
                    last_seq=cp.last_seq,
                    entries_found=len(leaves),
                ),
                checkpoint_level=True,
            )
        leaves.clear()

    suspects: list[tuple[Break, Any]] = []  # entry_changed breaks that may be reorderings
    expected_seq = from_seq
    prev_hash = prev
    prev_row: Any | None = None
    prev_flagged = False
    stream = (
        select(*_ENTRY_COLUMNS)
        .where(LedgerEntry.seq >= from_seq)
        .order_by(LedgerEntry.seq)
        .execution_options(yield_per=_STREAM_BATCH)
    )
    for row in session.execute(stream):
        result.entries += 1
        flagged = False
        if row.seq != expected_seq:
            report(
                _make_break(
                    "entry_deleted",
                    expected_seq,
                    None,
                    f"seq {expected_seq}-{row.seq - 1} missing",
                    f"第 {expected_seq}-{row.seq - 1} 号条目缺失",
                    missing_from=expected_seq,
                    missing_to=row.seq - 1,
                    before=_neighbour(prev_row),
                    after=_neighbour(row),
                )
            )
            flagged = True
        problem = _entry_problem(row)
        if problem == "payload_changed":
            report(_make_break(problem, row.seq, row))
            flagged = True
        elif problem == "entry_changed":
            b = _make_break(problem, row.seq, row, "its hash does not match its content", "哈希与内容不符")
            report(b)
            suspects.append((b, row))
            flagged = True
        elif not flagged and not prev_flagged and row.prev_hash != prev_hash and prev_row is not None:
            # This entry is intact but does not link to the one before: that one was rewritten
            # together with its hashes (or this link was forged).
            report(
                _make_break(
                    "entry_changed",
                    prev_row.seq,
                    prev_row,
                    f"rewritten with recomputed hashes: entry {row.seq} links to another hash",
                    f"连同哈希一起被改写：第 {row.seq} 号条目链接的哈希与之不符",
                    next_seq=row.seq,
                )
            )
            flagged = True
        elif not flagged and prev_row is None and row.prev_hash != prev:
            report(
                _make_break(
                    "chain_broken",
                    row.seq,
                    row,
                    "the first entry does not start the chain"
                    if from_seq == 1
                    else "the entry does not follow the last verified checkpoint",
                    "首条目未从创世哈希开始" if from_seq == 1 else "该条目未接续上次校验过的检查点",
                )
            )
            flagged = True

        # Feed the checkpoint whose range holds this seq.
        while cp_index < len(cps) and cps[cp_index].last_seq < row.seq:
            close_checkpoint(cps[cp_index])
            cp_index += 1
        if cp_index < len(cps) and cps[cp_index].first_seq <= row.seq:
            leaves.append(row.entry_hash)
            if row.seq == cps[cp_index].last_seq:
                close_checkpoint(cps[cp_index])
                cp_index += 1

        prev_hash, prev_row, prev_flagged = row.entry_hash, row, flagged
        expected_seq = row.seq + 1
    last_seq = expected_seq - 1
    result.entries_checked_from = from_seq
    for cp in cps[cp_index:]:
        close_checkpoint(cp)

    # The head row says how long the chain is: a shorter chain lost its tail.
    head = head0
    if head is not None and last_seq > head[0]:
        head = _read_head(session)  # appends may have committed while we read
    result.head_seq = head[0] if head else 0
    if head is None:
        if last_seq:
            report(
                _make_break(
                    "chain_broken", last_seq, prev_row, "the ledger head row is missing", "账本头记录缺失"
                )
            )
    elif last_seq < head[0]:
        report(
            _make_break(
                "entry_deleted",
                last_seq + 1,
                None,
                f"seq {last_seq + 1}-{head[0]} missing at the end",
                f"末尾第 {last_seq + 1}-{head[0]} 号条目缺失",
                missing_from=last_seq + 1,
                missing_to=head[0],
                before=_neighbour(prev_row),
            )
        )
    elif last_seq > head[0]:
        report(
            _make_break(
                "chain_broken",
                head[0] + 1,
                None,
                f"entries after the head (seq {head[0]}) were added behind the platform's back",
                f"头记录（{head[0]}）之后出现未经平台写入的条目",
            )
        )
    elif last_seq and head[1] != prev_hash and not prev_flagged:
        report(
            _make_break(
                "entry_changed",
                last_seq,
                prev_row,
                "rewritten with recomputed hashes: the head holds another hash",
                "连同哈希一起被改写：头记录中的哈希与之不符",
            )
        )

    # An entry whose hash fits another seq was moved there: name where it belongs.
    for b, row in suspects:
        if row.prev_hash == GENESIS_HASH:
            home = 1
        else:
            before = session.scalar(select(LedgerEntry.seq).where(LedgerEntry.entry_hash == row.prev_hash))
            if before is None:
                continue
            home = int(before) + 1
        if home != row.seq and _recomputed(row, seq=home) == row.entry_hash:
            moved = _make_break(
                "reordered",
                row.seq,
                row,
                f"this entry belongs at seq {home}",
                f"该条目原应位于第 {home} 号",
                belongs_at=home,
            )
            b.kind, b.message, b.message_zh, b.details = (
                moved.kind,
                moved.message,
                moved.message_zh,
                moved.details,
            )

    found.sort(key=lambda item: (item[0], item[1].seq))
    result.breaks = [b for _, b in found[:MAX_BREAKS]]
    return result
