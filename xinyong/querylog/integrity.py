"""``xinyong ledger verify``: the query log against its seals and purges in the ledger.

* every ``query_log_purges`` row has its ``query_log.purge`` entry with the same cutoff and
  count, and every such entry its row (a purge row added by hand is named);
* every seal (``seals.py``): the rows present in its id range give its count and Merkle root;
  when a later purge's cutoff falls inside the seal, the rows left must all be newer than the
  cutoff; and over all seals, the rows missing equal the rows the ledgered purges removed.

Rows newer than the last seal are not covered yet (a warning says how many).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from xinyong.ledger import service as ledger
from xinyong.ledger.integrity import CheckReport, Finding, Verifier, entries_of_kind, show
from xinyong.querylog.models import QueryLogEntry, QueryLogPurge
from xinyong.querylog.seals import _TABLE, SEAL_KIND, row_hash

_STREAM = 5_000


def _utc(value: Any) -> datetime:
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


def _f(check: str, table: str, key: str, column: str | None, expected: Any, found: Any, en: str, zh: str,
       seq: int | None = None) -> Finding:  # fmt: skip
    return Finding(check, table, key, column, show(expected), show(found), en, zh, None, seq)


def verify_query_log(session: Session, report: CheckReport) -> None:
    purges: dict[int, tuple[int, dict[str, Any]]] = {}
    seals: list[tuple[int, dict[str, Any]]] = []
    for e in entries_of_kind(session, "query_log.purge", SEAL_KIND):
        if e.kind == SEAL_KIND:
            seals.append((e.seq, e.payload))
        else:
            purges[int(e.ref.partition(":")[2])] = (e.seq, e.payload)

    # Purges: each row is a ledgered purge with the same cutoff and count.
    ledgered_purges: list[tuple[int, datetime, int]] = []  # (seq, cutoff, removed)
    for row in session.scalars(select(QueryLogPurge).order_by(QueryLogPurge.id)):
        report.rows += 1
        key = f"id={row.id}"
        found = purges.pop(row.id, None)
        if found is None:
            report.add(_f("querylog.purge", "query_log_purges", key, None, "no purge (no ledger entry)",
                          f"cutoff {_utc(row.cutoff).isoformat()}, removed {row.removed}",
                          "a purge with no ledger entry (added behind the platform's back)",
                          "该清理记录在账本中没有条目（绕过平台写入）"))  # fmt: skip
            continue
        seq, p = found
        ledgered_purges.append((seq, _utc(p["cutoff"]), int(p["removed"])))
        if _utc(p["cutoff"]) != _utc(row.cutoff):
            report.add(_f("querylog.purge", "query_log_purges", key, "cutoff", p["cutoff"],
                          _utc(row.cutoff).isoformat(), f"the cutoff differs from ledger entry {seq}",
                          f"清理截止时间与第 {seq} 号账本条目不符", seq))  # fmt: skip
        if int(p["removed"]) != row.removed:
            report.add(_f("querylog.purge", "query_log_purges", key, "removed", p["removed"], row.removed,
                          f"the count differs from ledger entry {seq}", f"清理条数与第 {seq} 号账本条目不符",
                          seq))  # fmt: skip
    for pid, (seq, p) in sorted(purges.items()):
        ledgered_purges.append((seq, _utc(p["cutoff"]), int(p["removed"])))
        report.add(_f("querylog.purge", "query_log_purges", f"id={pid}", None, "present", None,
                      f"ledger entry {seq} names this purge; it is gone from the store",
                      f"第 {seq} 号账本条目记载的该清理记录已从数据库中消失", seq))  # fmt: skip

    # Seals: stream the log once, in id order, beside the seals.
    last_sealed = seals[-1][1]["last_id"] if seals else 0
    rows = (
        select(_TABLE)
        .where(_TABLE.c.id <= last_sealed)
        .order_by(_TABLE.c.id)
        .execution_options(yield_per=_STREAM)
    )
    stream = iter(session.execute(rows))
    pending = next(stream, None)
    sealed_total = present_total = 0
    for seq, s in seals:
        first, last, count = int(s["first_id"]), int(s["last_id"]), int(s["count"])
        sealed_total += count
        hashes: list[str] = []
        ids: list[int] = []
        oldest_present: datetime | None = None
        while pending is not None and pending.id <= last:
            if pending.id >= first:
                hashes.append(row_hash(pending))
                ids.append(int(pending.id))
                at = _utc(pending.logged_at)
                oldest_present = at if oldest_present is None or at < oldest_present else oldest_present
            pending = next(stream, None)
        report.rows += len(ids)
        present_total += len(ids)
        key = f"id={first}..{last}"
        cutoffs = [c for pseq, c, _n in ledgered_purges if pseq > seq]
        cutoff = max(cutoffs) if cutoffs else None
        if cutoff is None or _utc(s["oldest"]) >= cutoff:
            if len(ids) != count or ledger.merkle_root(hashes) != s["root"]:
                missing = sorted(set(range(first, last + 1)) - set(ids))
                shown = ",".join(map(str, missing[:10])) if len(missing) == count - len(ids) else None
                report.add(_f("querylog.seal", "query_log", key + (f" (missing id {shown})" if shown else ""),
                              None, f"{count} rows, root {s['root'][:16]}…",
                              f"{len(ids)} rows, root {ledger.merkle_root(hashes)[:16]}…",
                              f"the rows of this range no longer match their seal (ledger entry {seq}): "
                              "rows were deleted or edited",
                              f"该范围的查询记录与其封存（第 {seq} 号账本条目）不符：记录被删除或改动", seq))  # fmt: skip
        elif oldest_present is not None and oldest_present < cutoff:
            report.add(_f("querylog.seal", "query_log", key, "logged_at", f">= {cutoff.isoformat()}",
                          oldest_present.isoformat(),
                          "a row older than a ledgered purge's cutoff is still here (or was edited)",
                          "仍存在早于清理截止时间的记录（或记录被改动）", seq))  # fmt: skip
    removed = sum(n for _s, _c, n in ledgered_purges)
    if sealed_total - present_total != removed:
        report.add(_f("querylog.count", "query_log", f"id<={last_sealed}", None,
                      f"{sealed_total - removed} rows (sealed {sealed_total} - purged {removed})",
                      f"{present_total} rows",
                      "the sealed rows missing are not the rows the ledgered purges removed",
                      "已封存记录的缺失数与记入账本的清理条数不符"))  # fmt: skip
    unsealed = session.scalar(
        select(func.count()).select_from(QueryLogEntry).where(QueryLogEntry.id > last_sealed)
    )
    if unsealed:
        report.warn(
            f"{unsealed} query-log row(s) after id {last_sealed} are not sealed yet (sealed by `serve` "
            "every interval, `xinyong tick`, `xinyong ledger checkpoint`)",
            f"id {last_sealed} 之后的 {unsealed} 条查询记录尚未封存（serve 定时、xinyong tick、"
            "xinyong ledger checkpoint 时封存）",
        )


VERIFIER = Verifier("querylog", "查询记录", verify_query_log, order=20)
