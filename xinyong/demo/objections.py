"""The demo city's objections and credit repairs: cases in every state, driven through the real
services (``seed_rights``, called at the end of ``xinyong.demo.service.build_demo``).

Objections: 待比对 (one overdue and escalated), 已转核查（中止披露）, 待更正, 已更正 (a new record
version), 维持, 终止披露, 已撤回. Repairs: 待受理, 已受理, 准予修复（待停止公示）, 已修复 (publicity
ended), 不予修复, 不予受理, 已撤回. Deterministic for a seed; idempotent (a store that already has
objections is left alone)."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from xinyong.casework.service import Actor
from xinyong.core.calendar import load_calendar
from xinyong.core.clock import today_china
from xinyong.core.errors import DomainError
from xinyong.ingest import service as ingest_service
from xinyong.objections import service as objections
from xinyong.records import service as records_service
from xinyong.repairs import service as repairs

WINDOW = Actor("demo:TZ-XYB", "credit_office")


@dataclass
class RightsSeedSummary:
    already_seeded: bool = False
    objections: dict[str, int] = field(default_factory=dict)
    repairs: dict[str, int] = field(default_factory=dict)


def _dept(code: str) -> Actor:
    return Actor(f"demo:{code}", "provider", provider_code=code)


def seed_rights(session: Session, *, seed: int, today: date | None = None) -> RightsSeedSummary:
    """Objections and repairs in every state (see the module doc). Commits."""
    summary = RightsSeedSummary()
    today = today or today_china()
    if objections.list_objections(session, actor=WINDOW, per_page=1).total:
        summary.already_seeded = True
        return summary
    cal = load_calendar(session)
    rng = random.Random(f"{seed}/rights")
    providers = {p.id: p.code for p in ingest_service.list_providers(session)}
    records = records_service.evaluation_records(session, items=["administrative_penalty"])
    rng.shuffle(records)
    used: dict[bool, set[int]] = {False: set(), True: set()}

    def pick(eligible_for_repair: bool, reuse: int | None = None) -> tuple[int, str] | None:
        for r in records:
            if r.record_id in used[eligible_for_repair] and r.record_id != reuse:
                continue
            if eligible_for_repair:
                try:
                    if not repairs.eligibility(
                        session, actor=WINDOW, record_id=r.record_id, today=today
                    ).eligible:
                        continue
                except DomainError:
                    continue
            code = providers.get(records_service.get_record(session, r.record_id).provider_id)
            if code is None:
                continue
            used[eligible_for_repair].add(r.record_id)
            return r.record_id, code
        return None

    def day(back: int) -> date:
        """The working day ``back`` working days before today."""
        return cal.add_working_days(today, -back)

    # --- objections: (state, received back, steps) ---------------------------------------------
    objection_plans: list[tuple[str, int, list[tuple[str, dict[str, Any], int]]]] = [
        ("overdue", 12, []),
        ("filed", 0, []),
        (
            "referred",
            6,
            [("compare", {"result": "matches", "text": "平台信息与报送信息一致，已通知核查"}, 5)],
        ),
        ("correcting", 8, [("compare", {"result": "differs", "text": "平台信息与报送信息不一致"}, 7)]),
        (
            "corrected",
            20,
            [
                ("compare", {"result": "differs", "text": "与原始文书不一致"}, 19),
                (
                    "decide",
                    {
                        "outcome": "corrected",
                        "text": "依原始文书更正处罚内容",
                        "corrections": {"penalty_content": "警告（经异议更正）"},
                    },
                    18,
                ),
            ],
        ),
        (
            "upheld",
            25,
            [
                ("compare", {"result": "matches", "text": "一致，已通知核查"}, 24),
                ("reply", {"result": "not_holds", "text": "经核查，处罚信息准确无误"}, 20),
            ],
        ),
        (
            "suspended",
            30,
            [
                ("compare", {"result": "matches", "text": "一致，已通知核查"}, 29),
                ("reply", {"result": "unverifiable", "text": "原始案卷正在复核，暂无法核实"}, 25),
            ],
        ),
        ("withdrawn", 15, [("withdraw", {"text": "已与执法部门沟通，撤回异议"}, 14)]),
    ]
    grounds = ["wrong_content", "wrong_subject", "beyond_period", "other"]
    for state, back, steps in objection_plans:
        target = pick(False)
        if target is None:
            break
        record_id, code = target
        view = objections.file_objection(
            session,
            record_id=record_id,
            ground=rng.choice(grounds),
            statement="该条处罚信息的处罚内容与行政处罚决定书不一致，请予核查更正。",
            actor=WINDOW,
            received_on=day(back),
            today=today,
        )
        for action, fields, when in steps:
            actor = _dept(code) if action == "reply" else WINDOW
            objections.take_step(
                session, view.id, action=action, actor=actor, on=day(when), today=today, **fields
            )
        summary.objections[state] = summary.objections.get(state, 0) + 1
    objections.tick(session, today)  # the overdue one escalates
    session.commit()

    # --- repairs: a refused, rejected or withdrawn application leaves its record free for the
    # next one, so a small demo city needs few eligible records ------------------------------
    def repair(state: str, steps: list[tuple[str, str | None, str]], reuse: int | None = None) -> int | None:
        target = pick(True, reuse)
        if target is None:
            return None
        record_id, code = target
        view = repairs.apply_for(
            session,
            actor=WINDOW,
            record_id=record_id,
            statement="罚款已全额缴纳，违法行为已整改完毕，已参加信用修复培训。",
            commitment=True,
            materials=["performance", "rectification"],
            received_on=today,
            today=today,
        )
        for action, outcome, text in steps:
            actor = WINDOW if action == "withdraw" else _dept(code)
            repairs.take_step(
                session,
                view.id,
                action=action,
                actor=actor,
                outcome=outcome,
                text=text,
                on=today,
                today=today,
            )
        summary.repairs[state] = summary.repairs.get(state, 0) + 1
        return record_id

    granted = [("accept", None, ""), ("decide", "granted", "已履行义务并消除不良影响，准予修复")]
    first = repair("rejected", [("reject", None, "申请材料不齐全：缺少罚款缴纳凭证")])
    repair(
        "refused", [("accept", None, ""), ("decide", "refused", "罚款尚未缴清，不符合修复条件")], reuse=first
    )
    repair("withdrawn", [("withdraw", None, "申请人撤回")], reuse=first)
    repair("repaired", granted, reuse=first)
    repairs.apply_granted(session, today)  # carried out as the daily tick does
    repair("granted", granted)
    repair("accepted", [("accept", None, "")])
    repair("filed", [])
    session.commit()
    return summary
