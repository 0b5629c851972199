"""The demo city has commitments and self-declarations in every state (the demo subject account's
company among them), the overdue ones in the console queues, and building again changes nothing."""

from __future__ import annotations

from pathlib import Path

from xinyong.commitments import service as commitments
from xinyong.core.db import Database
from xinyong.declarations import service as declarations
from xinyong.demo.service import build_demo
from xinyong.subjects import service as subjects_service


def test_the_demo_city_has_commitments_and_declarations_in_every_state(db: Database, tmp_path: Path) -> None:
    summary = build_demo(db, subjects=80, seed=2026, out_dir=tmp_path / "samples")
    with db.session() as s:
        signed = commitments.list_commitments(s, per_page=200).items
        assert {c.status for c in signed} == set(commitments.STATUS_ZH)
        assert {c.commitment_type for c in signed} == {
            "approval_substitute",
            "accept_with_gaps",
            "industry_self_discipline",
            "voluntary",
            "repair",
        }
        assert "verify" in {o.step for o in commitments.overdue_queue(s)}  # the 告知承诺 check (国庆)
        filed = declarations.list_declarations(s, per_page=200).items
        assert {d.status for d in filed} == set(declarations.STATUS_ZH)
        assert declarations.overdue_queue(s)
        own = subjects_service.get_by_code(s, summary.examples["penalised"])
        assert own is not None and commitments.subject_commitments(s, own.id).signed
        count = len(signed)
    again = build_demo(db, subjects=80, seed=2026, out_dir=tmp_path / "samples")
    assert again.already_built
    with db.session() as s:
        assert commitments.list_commitments(s, per_page=200).total == count
