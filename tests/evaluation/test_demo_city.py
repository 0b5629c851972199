"""On the demo city (xinyong.demo generator, small size): DuckDB and Spark give identical scores
and grades; monitoring reports distribution, migration and PSI."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from xinyong.core.db import Database
from xinyong.demo.service import build_demo
from xinyong.evaluation import engine, service

SUBJECTS = 150


@pytest.fixture(scope="session")
def _spark_stopped() -> Iterator[None]:
    yield
    engine.stop_spark()


@pytest.mark.spark
@pytest.mark.skipif(shutil.which("java") is None, reason="Spark needs Java (java not on PATH)")
def test_duckdb_and_spark_give_identical_scores_and_grades(
    db: Database, tmp_path: Path, _spark_stopped: None
) -> None:
    if db.dialect != "sqlite":
        pytest.skip("the engines read the same Arrow inputs whatever the store: compared once, on SQLite")
    build_demo(db, subjects=SUBJECTS, seed=2026, out_dir=tmp_path / "samples")
    with db.session() as session:
        duck = {r.model_code: r for r in service.run_batch(session, engine="duckdb")}
    with db.session() as session:
        spark = {r.model_code: r for r in service.run_batch(session, engine="spark")}
    assert set(duck) == set(spark) == {"enterprise", "small_entities"}
    with db.session() as session:
        for code, run in duck.items():
            assert run.engine == "duckdb" and spark[code].engine == "spark"
            assert run.subjects > 0 and run.subjects == spark[code].subjects
            assert service.results_table(session, run.id) == service.results_table(session, spark[code].id)
            assert run.results_digest == spark[code].results_digest
            assert spark[code].changed == 0  # the Spark run moved no grade the DuckDB run had set
            # Beyond totals and grades: every indicator's points and feature value, every
            # dimension score, veto, cap and the records cited agree too.
            a, b = _details(session, run.id), _details(session, spark[code].id)
            assert a == b and len(a) == run.subjects


def _details(session: Session, run_id: int) -> list[tuple[object, ...]]:
    from sqlalchemy import select

    from xinyong.evaluation.models import EvaluationResult

    rows = session.execute(
        select(
            EvaluationResult.subject_id,
            EvaluationResult.points,
            EvaluationResult.features,
            EvaluationResult.dimensions,
            EvaluationResult.veto,
            EvaluationResult.cap,
            EvaluationResult.cites,
        )
        .where(EvaluationResult.run_id == run_id)
        .order_by(EvaluationResult.subject_id)
    )
    return [tuple(r) for r in rows]


def test_monitoring_distribution_migration_and_psi(db: Database, tmp_path: Path, session: Session) -> None:
    build_demo(db, subjects=SUBJECTS, seed=2026, out_dir=tmp_path / "samples")
    first = {r.model_code: r for r in service.run_batch(session)}
    session.commit()
    second = {r.model_code: r for r in service.run_batch(session)}
    session.commit()
    run, base = second["enterprise"], first["enterprise"]
    report = service.run_report(session, run.id, compare_to=base.id)
    shares = {g.grade: g for g in report.distribution}
    assert list(shares) == ["A", "B", "C", "D"] and sum(g.count for g in shares.values()) == run.subjects
    assert str(shares["B"].target) == "0.764"
    # Nothing changed between the runs: the matrix is diagonal and every PSI is stable (0).
    assert report.migration is not None
    assert all(to == frm for frm, row in report.migration.items() for to in row)
    assert report.psi is not None and {p.name_zh for p in report.psi} >= {"遵纪守法", "社会贡献"}
    assert all(p.psi == 0 and p.status == "stable" for p in report.psi)
    assert str(report.psi_stable_below) == "0.1" and str(report.psi_shift_from) == "0.25"
    # The backtest runs on the demo city's synthetic history and says so.
    bt = service.backtest(session)
    assert bt.synthetic and "合成数据" in bt.label_zh and bt.subjects > 0
