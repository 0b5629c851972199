"""What a newcomer sees in the built demo city: procedure queues with steps due around today (a few
overdue, none by months or years), no date after today, and fines people read (0.2 万元, never
0 or 0.0137)."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select

from xinyong.casework.service import Actor
from xinyong.commitments import service as commitments
from xinyong.core.clock import today_china
from xinyong.core.db import Database
from xinyong.declarations import service as declarations
from xinyong.demo import samples
from xinyong.demo.generator import PENALTY, iter_records
from xinyong.demo.service import build_demo
from xinyong.lists import service as lists
from xinyong.lists.models import ListProcedure
from xinyong.objections import service as objections
from xinyong.records import service as records_service
from xinyong.repairs import service as repairs

OFFICE = Actor("t", "credit_office")
# A demo case may be a few working days late (the queues show escalation), never by months.
MOST_LATE = 30
_PROCEDURE_DATES = (
    "proposed_on",
    "noticed_on",
    "statement_on",
    "decided_on",
    "published_on",
    "starts_on",
    "rectified_on",
    "last_interview_on",
    "exited_on",
)


def test_every_demo_queue_is_due_around_today_and_no_date_is_after_it(db: Database, tmp_path: Path) -> None:
    build_demo(db, subjects=200, seed=2026, out_dir=tmp_path / "samples")
    today = today_china()
    with db.session() as s:
        late: dict[str, list[int]] = {
            "lists": [
                q.overdue_working_days or 0
                for q in lists.queue(s, actor=lists.SYSTEM, today=today)
                if q.overdue
            ],
            "objections": [i.working_days_late for i, _ in objections.queue(s, actor=OFFICE, today=today)],
            "repairs": [i.working_days_late for i, _ in repairs.queue(s, actor=OFFICE, today=today)],
            "commitments": [
                o.working_days_late for o in commitments.overdue_queue(s, actor=OFFICE, today=today)
            ],
            "declarations": [
                o.working_days_late for o in declarations.overdue_queue(s, actor=OFFICE, today=today)
            ],
        }
        for queue, days in late.items():
            assert all(0 < d <= MOST_LATE for d in days), (queue, days)
        # The queues still demonstrate escalation: a handful of late steps, not none, not dozens.
        assert 1 <= len(late["lists"]) <= 5, late["lists"]
        assert late["commitments"] and late["declarations"]

        # Every list procedure: no step dated after today; the public lists show none either.
        for proc in s.scalars(select(ListProcedure)):
            for name in _PROCEDURE_DATES:
                day = getattr(proc, name)
                assert day is None or day <= today, (proc.id, proc.list_type, name, day)
        shown = lists.public_members(s, per_page=100).items
        assert shown
        assert all(m.published_on is None or m.published_on <= today for m in shown)
        assert all(m.decided_on is None or m.decided_on <= today for m in shown)
        # Old cases were carried to their end: nothing opened before this year waits for staff.
        old = [
            q
            for q in lists.queue(s, actor=lists.SYSTEM, today=today)
            if q.procedure.proposed_on < date(today.year - 1, 1, 1) and q.overdue
        ]
        assert not old, [(q.procedure.id, q.step, q.due) for q in old]

        # Fines in the store as people read them.
        penalties = records_service.evaluation_records(
            s, items=[PENALTY], facts={PENALTY: ["fine_amount"]}, include_ended=True
        )
        fines = [Decimal(str(r.facts["fine_amount"])) for r in penalties if r.facts.get("fine_amount")]
        assert fines and all(_readable(f) for f in fines), [f for f in fines if not _readable(f)][:5]


def _readable(amount: Decimal) -> bool:
    """Positive, at most two decimals (whole hundreds of yuan), no trailing zeros."""
    text = format(amount, "f")
    decimals = len(text.split(".", 1)[1]) if "." in text else 0
    return amount > 0 and decimals <= 2 and not ("." in text and text.endswith("0"))


_FINE = re.compile(r"罚款([0-9.]+)万元")


def test_generated_fines_are_positive_amounts_people_read(tmp_path: Path) -> None:
    penalties = [r for r in iter_records(2026, 1500) if r.item == PENALTY]
    with_fine = [r for r in penalties if "罚款" in r.values["CF_CFLB"].split(";")]
    assert len(with_fine) > 50
    for rec in with_fine:
        fk = rec.values["CF_NR_FK"]
        assert fk and _readable(Decimal(fk)), (rec.document_number, fk)
        assert f"罚款{fk}万元" in rec.values["CF_NR"], (rec.values["CF_NR"], fk)
    # Every 罚款 written in a decision's content, the samples' included, is a readable amount.
    texts = [r.values["CF_NR"] for r in penalties]
    for path in samples.write_samples(2026, 300, tmp_path):
        if path.suffix == ".csv":
            texts.append(path.read_bytes().decode("gbk" if "gbk" in path.name else "utf-8", errors="ignore"))
    amounts = [Decimal(a) for t in texts for a in _FINE.findall(t)]
    assert amounts and all(_readable(a) for a in amounts), [a for a in amounts if not _readable(a)][:5]
