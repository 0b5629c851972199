"""The demo city's government integrity, data quality and monitoring: every department is a
public body with a superior, government records cause notices, each department has a monthly
scorecard, and the dashboard has 24 months of data."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from xinyong.core.db import Database
from xinyong.demo.generator import load_city
from xinyong.demo.service import build_demo
from xinyong.government import service as government
from xinyong.monitoring import service as monitoring
from xinyong.quality import service as quality


def test_demo_city_government_quality_and_dashboard(db: Database, tmp_path: Path) -> None:
    summary = build_demo(db, subjects=200, seed=2026, out_dir=tmp_path / "samples")
    g = summary.government
    assert g is not None
    departments = len(load_city().departments)
    # Every government record notifies; other negative records of public bodies (the catalog's
    # arrears and breaches sent by departments) notify too.
    assert g.bodies == departments and g.records == 11 and g.notices >= 11
    assert g.scorecards == 12 * departments
    with db.session() as s:
        scores = government.score_bodies(s)
        assert len(scores) == departments
        assert scores[0].score == 100 and scores[-1].score < 100
        kinds = {n.kind for n in government.list_notices(s, per_page=50).items}
        assert kinds == {"body", "official"}
        cards = quality.stored_month(s, date(2026, 11, 1))
        assert len(cards) == departments and len({c.rank for c in cards}) > 1
        _, results = monitoring.dashboard(s, date(2026, 11, 1))
        trend = next(r for r in results if r.code == "records_trend")
        per_month = [
            sum(v or 0 for v in vals) for vals in zip(*(x.values for x in trend.series), strict=True)
        ]
        assert len(per_month) == 24 and sum(1 for v in per_month if v) >= 20
        timely = next(r for r in results if r.code == "double_publicity_timeliness")
        assert sum(1 for v in timely.series[0].values if v is not None) >= 20
    # Built again: nothing changes.
    build_demo(db, subjects=200, seed=2026, out_dir=tmp_path / "samples")
    with db.session() as s:
        assert government.list_notices(s, per_page=1).total == g.notices
