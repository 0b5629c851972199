"""Monitoring arithmetic: PSI, AUC and KS on small known inputs; a backtest on a hand-built
history where the low grade does come before a serious penalty."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from sqlalchemy.orm import Session

from tests.evaluation import helpers as h
from xinyong.catalog.ruleset import add_months
from xinyong.evaluation import service
from xinyong.records import service as records

D = Decimal


def test_psi() -> None:
    edges = [D(0), D(50), D(100.0001)]
    same = [D(10), D(60), D(70)]
    assert service.psi(same, same, edges) == 0
    shifted = service.psi([D(10)] * 50 + [D(60)] * 50, [D(10)] * 10 + [D(60)] * 90, edges)
    assert shifted > D("0.25")  # 50/50 → 10/90 is a large shift


def test_auc_and_ks() -> None:
    # Lower scores carry the positives: a perfect ranking.
    auc, ks = service.auc_ks([D(1), D(2), D(3), D(4)], [True, True, False, False])
    assert (auc, ks) == (D(1), D(1))
    auc, ks = service.auc_ks([D(1), D(2), D(3), D(4)], [False, False, True, True])
    assert auc == D(0)
    auc, _ = service.auc_ks([D(1), D(1), D(1), D(1)], [True, False, True, False])
    assert auc == D("0.5")
    assert service.auc_ks([D(1)], [True]) == (None, None)


def test_backtest_on_a_hand_built_history(session: Session) -> None:
    today = records.today_china()
    cutoff = add_months(today, -12)
    pid = h.provider(session)
    good = [h.enterprise(session, n) for n in range(1, 6)]
    risky = h.enterprise(session, 9)
    h.penalty(
        session,
        risky,
        pid,
        "台市监罚〔2025〕1号",
        decided=cutoff - timedelta(days=30),
        types=["吊销许可证件"],
    )
    h.penalty(
        session, risky, pid, "台市监罚〔2026〕1号", decided=cutoff + timedelta(days=60), types=["责令关闭"]
    )
    session.commit()
    bt = service.backtest(session, cutoff=cutoff)
    assert bt.synthetic and bt.subjects == len(good) + 1 and bt.positives == 1
    assert bt.auc == D(1) and bt.ks == D(1)
    worst = [g for g, row in bt.rate_by_grade.items() if row["positives"]]
    assert worst and worst[0] in ("C", "D")
