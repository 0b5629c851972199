"""The demo city has objections and repairs in every state, built through the real services."""

from __future__ import annotations

from pathlib import Path

from xinyong.casework.service import Actor
from xinyong.core.db import Database
from xinyong.demo.service import build_demo
from xinyong.objections import service as objections
from xinyong.repairs import service as repairs

OFFICE = Actor("t", "credit_office")


def test_demo_has_objections_and_repairs_in_every_state(db: Database, tmp_path: Path) -> None:
    summary = build_demo(db, subjects=600, seed=2026, out_dir=tmp_path / "samples")
    assert summary.rights is not None
    with db.session() as s:
        o = objections.status_counts(s, actor=OFFICE)
        r = repairs.status_counts(s, actor=OFFICE)
        assert set(o) == {
            "filed",
            "referred",
            "correcting",
            "corrected",
            "upheld",
            "suspended",
            "withdrawn",
        }, o
        assert set(r) == {"filed", "accepted", "granted", "repaired", "refused", "rejected", "withdrawn"}, r
        queued = objections.queue(s, actor=OFFICE)
        assert any(item.escalated for item, _ in queued)
    again = build_demo(db, subjects=600, seed=2026, out_dir=tmp_path / "samples")
    assert again.already_built
    with db.session() as s:
        assert objections.status_counts(s, actor=OFFICE) == o
