"""``xinyong ledger verify``: the report register against the ledger (facts).

Every issued report is a ``report.issued`` entry (``report:<number>``) carrying what the register
row says about it: each ``credit_reports`` row is compared with its entry (kind, field, scope,
subject, validity, the file's SHA-256 and size, the section counts), the stored PDF with its
SHA-256, and every entry must have its row (a report deleted from the register is named)."""

from __future__ import annotations

import hashlib
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from xinyong.ledger.integrity import CheckReport, Finding, Verifier, entries_of_kind, show
from xinyong.reports.models import CreditReport


def _add(report: CheckReport, key: str, column: str | None, expected: Any, found: Any, en: str, zh: str,
         seq: int | None) -> None:  # fmt: skip
    report.add(
        Finding(
            "reports.register", "credit_reports", key, column, show(expected), show(found), en, zh, None, seq
        )
    )


def verify_reports(session: Session, report: CheckReport) -> None:
    entries = {e.payload.get("number"): e for e in entries_of_kind(session, "report.issued")}
    rows = session.execute(
        select(
            CreditReport.number,
            CreditReport.kind,
            CreditReport.field,
            CreditReport.scope,
            CreditReport.subject_id,
            CreditReport.valid_until,
            CreditReport.sha256,
            CreditReport.size,
            CreditReport.counts,
            CreditReport.pdf,
        ).order_by(CreditReport.id)
    )
    for row in rows:
        report.rows += 1
        key = f"number={row.number}"
        e = entries.pop(row.number, None)
        if e is None:
            _add(report, key, None, "no report (no ledger entry)", "report present",
                 "a register row with no ledger entry", "该报告登记在账本中没有条目", None)  # fmt: skip
            continue
        p = e.payload
        compare = {
            "kind": (p.get("kind"), row.kind),
            "field": (p.get("field"), row.field),
            "scope": (p.get("scope"), row.scope),
            "subject_id": (p.get("subject_id"), row.subject_id),
            "valid_until": (p.get("valid_until"), row.valid_until.isoformat() if row.valid_until else None),
            "sha256": (p.get("sha256"), row.sha256),
            "size": (p.get("size"), row.size),
            "counts": (p.get("counts"), dict(row.counts or {})),
        }
        for column, (want, got) in compare.items():
            if want != got:
                _add(report, key, column, want, got, f"credit_reports.{column} differs from ledger entry {e.seq}",
                     f"credit_reports.{column} 与第 {e.seq} 号账本条目不符", e.seq)  # fmt: skip
        if row.pdf is not None and hashlib.sha256(row.pdf).hexdigest() != p.get("sha256"):
            _add(report, key, "pdf", f"sha256 {p.get('sha256')}", f"sha256 {hashlib.sha256(row.pdf).hexdigest()}",
                 "the stored PDF is not the file that was issued", "存储的报告文件不是签发时的文件", e.seq)  # fmt: skip
    for number, e in entries.items():
        _add(report, f"number={number}", None, "present", None,
             f"ledger entry {e.seq} names this report; it is gone from the register",
             f"第 {e.seq} 号账本条目记载的该报告已从登记簿中消失", e.seq)  # fmt: skip


VERIFIER = Verifier("reports", "信用报告登记簿", verify_reports, order=40)
