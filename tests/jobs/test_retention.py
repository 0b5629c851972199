"""Retention (《浙江省公共信用信息管理条例》第十六条): the daily job purges negative records five
years after their decision: gone from every view, the credit state and evaluation; one ledger
entry with counts and hashes, never the content."""

from __future__ import annotations

import json
from datetime import date

from sqlalchemy import select
from typer.testing import CliRunner

from tests.records import helpers as h
from xinyong.cli import app
from xinyong.core.db import Database
from xinyong.creditstate import service as creditstate
from xinyong.jobs import run_daily
from xinyong.ledger.models import LedgerEntry
from xinyong.records import service as records
from xinyong.records.models import RecordVersion


def test_the_daily_job_purges_negative_records_after_five_years(db: Database) -> None:
    with db.session() as s:
        pid = h.provider(s)
        sid = h.enterprise(s, 1)
        old = h.store(
            s, sid, pid, h.penalty_row("罚〔2020〕1号", types=["暂扣许可证件"], decision=date(2020, 3, 1))
        )
        new = h.store(
            s, sid, pid, h.penalty_row("罚〔2024〕2号", types=["暂扣许可证件"], decision=date(2024, 3, 1))
        )
        s.commit()

    # Five years are not over on 2025-03-01 (the period ends that day): nothing goes.
    assert run_daily(db, date(2025, 3, 1)).records_purged == 0
    result = run_daily(db, date(2025, 3, 2))
    assert result.records_purged == 1
    with db.session() as s:
        assert records.get_record(s, old.record_id).status == "purged"
        assert records.get_record(s, new.record_id).status != "purged"
        # The content is gone from every version; nothing shows it, not even the subject's own view.
        data = s.scalars(select(RecordVersion.data).where(RecordVersion.record_id == old.record_id)).all()
        assert data and all(d == {} for d in data)
        for view in ("subject", "government", "public"):
            page = records.list_subject_records(s, sid, visibility=view, today=date(2025, 3, 2))
            assert old.record_id not in {r.id for r in page.items}
        assert creditstate.subject_summary(s, sid).records_in_force == 0
        entry = s.scalars(select(LedgerEntry).where(LedgerEntry.kind == "records.purge")).one()
        payload = json.loads(entry.payload)
        assert payload["records"] == 1 and payload["by_item"] == {"administrative_penalty": 1}
        assert len(payload["content_hashes"]) == payload["versions"] >= 1
        assert "暂扣" not in entry.payload and "罚〔2020〕1号" not in entry.payload
    # Idempotent: a second run purges nothing more.
    assert run_daily(db, date(2025, 3, 3)).records_purged == 0


def test_cli_tick_reports_the_purge(db: Database) -> None:
    with db.session() as s:
        pid = h.provider(s)
        sid = h.enterprise(s, 2)
        h.store(s, sid, pid, h.penalty_row("罚〔2019〕9号", types=["罚款"], decision=date(2019, 6, 1)))
        s.commit()
    out = CliRunner().invoke(app, ["tick", "--today", "2026-01-05"])
    assert out.exit_code == 0, out.output
    assert "保存期限届满删除" in out.output and "1 条不良信息已删除" in out.output
