"""The demo city's commitments and self-declarations, in every state, through the real services.

Run at the end of ``build_demo``: a handful of enterprises (the demo subject account's company
among them, so /me shows them) sign commitments of each type on fixed dates, some supply their
容缺 materials, the market regulator verifies some (fulfilled, breached), one verification is left
overdue for the console queue; declarations are filed, verified, rejected and one left overdue.
Closed cases keep their calendar dates; the open ones are dated back from today in working days,
so the queue shows them a few working days late whatever day the demo is built.
Idempotent: a store that already has demo commitments is left alone."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from xinyong.commitments import service as commitments
from xinyong.core.calendar import load_calendar
from xinyong.core.clock import today_china
from xinyong.declarations import service as declarations
from xinyong.ingest import service as ingest_service
from xinyong.subjects import service as subjects_service

MARKET = "TZ-SCJG"
PDF = b"%PDF-1.4\n% Xinyong demo proof\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00"


@dataclass
class RightsSeedSummary:
    already_seeded: bool = False
    commitments: int = 0
    declarations: int = 0


def seed_commitments(
    session: Session, *, seed: int, subject_code: str | None = None, today: date | None = None
) -> RightsSeedSummary:
    """Commitments and declarations in every state (see the module doc). Commits."""
    summary = RightsSeedSummary()
    if commitments.list_commitments(session, per_page=1).total:
        summary.already_seeded = True
        return summary
    departments = {p.code for p in ingest_service.list_providers(session)}
    if MARKET not in departments:
        return summary
    other = sorted(departments - {MARKET})
    second = other[0] if other else MARKET
    rng = random.Random(f"{seed}/commitments")
    enterprises = sorted(session.scalars(subjects_service.ids_of_kind("enterprise")))
    live = [sid for sid in enterprises if not subjects_service.get_subject(session, sid).provisional]
    rng.shuffle(live)
    own = subjects_service.get_by_code(session, subject_code) if subject_code else None
    picks = ([own.id] if own is not None else []) + [sid for sid in live if own is None or sid != own.id]
    if len(picks) < 6:
        return summary
    cal, today = load_calendar(session), today or today_china()

    def ago(back: int) -> date:
        """The working day ``back`` working days before today."""
        return cal.add_working_days(today, -back)

    office = commitments.Actor("demo:TZ-XYB", "credit_office")
    market = commitments.Actor(f"demo:{MARKET}", "provider", provider_code=MARKET)

    def sign(sid: int, kind: str, matter: str, dept: str, on: date) -> int:
        return commitments.sign(
            session,
            actor=office,
            commitment_type=kind,
            matter=matter,
            department_code=dept,
            subject_id=sid,
            on=on,
        ).id

    # 容缺受理: signed, materials not in yet (the subject's own company: /me shows the supply form).
    sign(
        picks[0],
        "accept_with_gaps",
        "食品经营许可证核发（容缺补齐从业人员健康证明）",
        MARKET,
        ago(10),
    )
    # 容缺受理: materials supplied, waiting for the check.
    c = sign(picks[1], "accept_with_gaps", "医疗器械经营备案（容缺补齐质量管理制度）", MARKET, ago(15))
    commitments.take_step(
        session,
        c,
        actor=commitments.SYSTEM,
        action="supply",
        attachments=[("质量管理制度.pdf", PDF)],
        on=ago(7),
    )
    # 审批替代型: verified as fulfilled.
    c = sign(picks[2], "approval_substitute", "建筑业企业资质证书核发（告知承诺）", MARKET, date(2026, 8, 3))
    commitments.take_step(
        session, c, actor=market, action="verify", outcome="fulfilled", on=date(2026, 8, 24)
    )
    # 主动型: breached, a credit record about the subject.
    c = sign(picks[3], "voluntary", "不销售假冒伪劣商品", MARKET, date(2026, 6, 1))
    commitments.take_step(
        session,
        c,
        actor=market,
        action="verify",
        outcome="breached",
        text="2026年9月抽检发现销售假冒商品",
        on=date(2026, 9, 21),
    )
    # 审批替代型: the check is overdue by 12 working days (in the console queue, escalated).
    sign(picks[4], "approval_substitute", "公共场所卫生许可（告知承诺）", MARKET, ago(32))
    sign(picks[5], "industry_self_discipline", "台州市汽摩配行业协会会员自律承诺", second, date(2026, 7, 1))
    sign(picks[0], "repair", "行政处罚信息信用修复（台市监罚〔2026〕）", MARKET, ago(20))
    commitments.escalate(session, today)
    summary.commitments = 7

    actor = declarations.Actor("demo:TZ-XYB", "credit_office")
    verifier = declarations.Actor(f"demo:{MARKET}", "provider", provider_code=MARKET)

    def declare(sid: int, kind: str, title: str, on: date, proof: tuple[str, bytes]) -> int:
        return declarations.file_declaration(
            session,
            actor=actor,
            declaration_type=kind,
            title=title,
            department_code=MARKET,
            subject_id=sid,
            attachments=[proof],
            on=on,
        ).id

    declare(picks[0], "award", "浙江省守合同重信用企业（2025年度）", ago(4), ("公示文件.pdf", PDF))
    d = declare(
        picks[1], "qualification", "ISO 9001 质量管理体系认证证书", date(2026, 10, 12), ("证书.png", PNG)
    )
    declarations.take_step(
        session, d, actor=verifier, action="verify", text="与认证机构证书查询结果一致", on=date(2026, 10, 16)
    )
    d = declare(
        picks[2], "public_welfare", "2026年抗台救灾捐赠30万元", date(2026, 9, 14), ("捐赠票据.pdf", PDF)
    )
    declarations.take_step(session, d, actor=verifier, action="verify", on=date(2026, 9, 18))
    d = declare(picks[3], "award", "全国文明单位", date(2026, 8, 10), ("证明.pdf", PDF))
    declarations.take_step(
        session, d, actor=verifier, action="reject", text="未查到该荣誉的授予文件", on=date(2026, 8, 17)
    )
    # Overdue by 6 working days (escalated after 5).
    declare(picks[4], "contract_performance", "重点工程合同按期履约证明", ago(16), ("证明.pdf", PDF))
    declarations.escalate(session, today)
    summary.declarations = 5
    commitments.settle(session)
    return summary
