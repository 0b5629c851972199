"""The demo city contains lists in every state, and building it again changes nothing."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from xinyong.core.db import Database
from xinyong.creditstate import service as creditstate
from xinyong.demo.service import build_demo
from xinyong.lists import service
from xinyong.lists.models import STATUSES, ListProcedure


def test_the_demo_city_has_lists_in_every_state(db: Database, tmp_path: Path) -> None:
    summary = build_demo(db, subjects=80, seed=2026, out_dir=tmp_path / "samples")
    assert summary.lists is not None and summary.lists.scenarios >= 15
    assert set(summary.lists.by_status) == set(STATUSES)
    with db.session() as s:
        kinds = set(s.scalars(select(ListProcedure.list_kind).where(ListProcedure.status == "published")))
        assert kinds == {"red", "watch", "black"}
        # The tick proposed the escalation 经营异常名录 → 严重违法企业名单, and ended a listing.
        assert s.scalar(
            select(func.count()).where(
                ListProcedure.origin == "escalation", ListProcedure.status == "proposed"
            )
        )
        assert s.scalar(select(func.count()).where(ListProcedure.exit_reason == "period_ended"))
        assert any(q.overdue for q in service.queue(s, actor=service.SYSTEM))
        on_lists = creditstate.list_memberships(s)
        assert {"blacklist", "red_list", "watch_list"} <= {c for codes in on_lists.values() for c in codes}
        count = s.scalar(select(func.count()).select_from(ListProcedure))
    again = build_demo(db, subjects=80, seed=2026, out_dir=tmp_path / "samples")
    assert again.already_built and again.lists is not None and again.lists.already_seeded
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(ListProcedure)) == count
