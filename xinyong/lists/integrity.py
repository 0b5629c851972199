"""``xinyong ledger verify``: list procedures and their steps against the ledger (facts).

Every step of a listing procedure is ledgered (``list_procedure:<id>/s<seq>``) with its action,
statuses, date, document number and the hashes of its text and data: each ``list_steps`` row is
compared with its entry, every entry must have its step, and each procedure's ``status`` and
``subject_id`` must be those of its last ledgered step. The memberships the lists consumer
writes into ``credit_states.lists`` are derived from these procedures (not checked here: see
docs/security.md)."""

from __future__ import annotations

import hashlib
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from xinyong.ledger import service as ledger
from xinyong.ledger.hashing import parse_ref
from xinyong.ledger.integrity import CheckReport, Finding, Verifier, entries_with_ref_prefix, show
from xinyong.lists.models import ListProcedure, ListStep


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _add(report: CheckReport, check: str, table: str, key: str, column: str | None, expected: Any,
         found: Any, en: str, zh: str, seq: int | None) -> None:  # fmt: skip
    report.add(Finding(check, table, key, column, show(expected), show(found), en, zh, None, seq))


def verify_lists(session: Session, report: CheckReport) -> None:
    entries: dict[tuple[int, int], tuple[int, dict[str, Any]]] = {}
    for e in entries_with_ref_prefix(session, "list_procedure:"):
        target = parse_ref(e.ref) or {}
        part = str(target.get("part", ""))
        if not part.startswith("s") or not part[1:].isdigit():
            continue
        entries[(int(target["id"]), int(part[1:]))] = (e.seq, e.payload)

    last_status: dict[
        int, tuple[int, int, str, int | None]
    ] = {}  # proc -> (step seq, entry seq, status, subject)
    for step in session.scalars(select(ListStep).order_by(ListStep.procedure_id, ListStep.seq)):
        report.rows += 1
        key = f"procedure_id={step.procedure_id},seq={step.seq}"
        found = entries.pop((step.procedure_id, step.seq), None)
        if found is None:
            _add(report, "lists.step_entry", "list_steps", key, None, "no step (no ledger entry)", "step present",
                 "a procedure step with no ledger entry", "该程序步骤在账本中没有条目", None)  # fmt: skip
            continue
        seq, p = found
        if "action" in p:  # a step of the procedure itself (not a recomputed deadline)
            compare = {
                "action": (p.get("action"), step.action),
                "from_status": (p.get("from_status"), step.from_status),
                "to_status": (p.get("status"), step.to_status),
                "on_date": (p.get("on"), step.on_date.isoformat()),
                "actor": (p.get("actor"), step.actor),
                "document_number": (p.get("document_number"), step.document_number),
                "text": (p.get("text_sha256"), _sha(step.text or "")),
                "data": (p.get("data_sha256"), _sha(ledger.canonical_json(step.data or {}))),
            }
            for column, (want, got) in compare.items():
                if want != got:
                    shown = (
                        ("sha256 " + str(want), "sha256 " + str(got))
                        if column in ("text", "data")
                        else (want, got)
                    )
                    _add(report, "lists.step", "list_steps", key, column, shown[0], shown[1],
                         f"list_steps.{column} differs from ledger entry {seq}",
                         f"list_steps.{column} 与第 {seq} 号账本条目不符", seq)  # fmt: skip
            prev = last_status.get(step.procedure_id)
            if prev is None or prev[0] < step.seq:
                last_status[step.procedure_id] = (step.seq, seq, str(p.get("status")), p.get("subject_id"))
    for (pid, step_seq), (seq, _p) in sorted(entries.items()):
        _add(report, "lists.step_deleted", "list_steps", f"procedure_id={pid},seq={step_seq}", None, "present",
             None, f"ledger entry {seq} names this step; it is gone from the store",
             f"第 {seq} 号账本条目记载的该步骤已从数据库中消失", seq)  # fmt: skip

    for proc_id, status, subject_id in session.execute(
        select(ListProcedure.id, ListProcedure.status, ListProcedure.subject_id).order_by(ListProcedure.id)
    ):
        report.rows += 1
        last = last_status.get(proc_id)
        key = f"id={proc_id}"
        if last is None:
            _add(report, "lists.procedure", "list_procedures", key, None, "no procedure (no ledgered step)",
                 "procedure present", "a procedure with no ledgered step", "该名单程序在账本中没有任何步骤", None)  # fmt: skip
            continue
        _step, seq, want_status, want_subject = last
        if status != want_status:
            _add(report, "lists.procedure", "list_procedures", key, "status", want_status, status,
                 f"the status is not the one of its last ledgered step (entry {seq})",
                 f"状态与最后一个记入账本的步骤（第 {seq} 号条目）不符", seq)  # fmt: skip
        if want_subject is not None and subject_id != want_subject:
            _add(report, "lists.procedure", "list_procedures", key, "subject_id", want_subject, subject_id,
                 f"the subject is not the one its ledgered steps name (entry {seq})",
                 f"主体与记入账本的步骤（第 {seq} 号条目）不符", seq)  # fmt: skip


VERIFIER = Verifier("lists", "名单程序及其步骤", verify_lists, order=30)
