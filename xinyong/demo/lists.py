"""The demo city's lists: procedures in every state, driven through the real service.

``seed_lists`` runs after the demo city's records are in (``xinyong.demo.service.build_demo``
calls it at the end). It first lets the ``lists`` consumer make its automatic proposals and
court listings from the records, then walks a fixed set of scenarios through the procedure
with fixed dates inside the demo period (so the same seed gives the same lists), and finally
runs the tick (period ends, escalations) and the consumer (memberships). Idempotent: a store
that already has the scenarios is left alone."""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy.orm import Session

from xinyong.ingest import service as ingest_service
from xinyong.lists import service
from xinyong.lists.service import Actor
from xinyong.records import service as records_service
from xinyong.subjects import service as subjects_service

OFFICE = Actor("demo:TZ-XYB", "credit_office")
_MARKER = "demo:blacklist_published"


@dataclass
class ListsSeedSummary:
    already_seeded: bool = False
    automatic: int = 0  # procedures the consumer made from the records
    scenarios: int = 0
    by_status: dict[str, int] = field(default_factory=dict)


def _dept(code: str) -> Actor:
    return Actor(f"demo:{code}", "provider", provider_code=code)


def seed_lists(session: Session, *, seed: int, today: date | None = None) -> ListsSeedSummary:
    """Put the demo city's lists into every state (see the module doc). Commits."""

    summary = ListsSeedSummary()
    today = today or service.today_china()
    if service.procedure_exists(session, dedup_key=_MARKER):
        summary.already_seeded = True
        return summary
    while service.process_events(session):
        session.commit()
    summary.automatic = service.count_procedures(session)

    rng = random.Random(f"{seed}/lists")
    providers = {p.id: p.code for p in ingest_service.list_providers(session)}
    busy = service.procedure_subject_ids(session)
    # Enterprises with a penalty (the basis of black and watch listings) and without any.
    penalties: dict[int, list[int]] = defaultdict(list)
    for r in records_service.evaluation_records(
        session, items=["administrative_penalty"], include_ended=True
    ):
        penalties[r.subject_id].append(r.record_id)
    enterprises = sorted(session.scalars(subjects_service.ids_of_kind("enterprise")))
    live = [
        sid
        for sid in enterprises
        if sid not in busy and not subjects_service.get_subject(session, sid).provisional
    ]
    penalised = [sid for sid in live if sid in penalties]
    clean = [sid for sid in live if sid not in penalties]
    rng.shuffle(penalised)
    rng.shuffle(clean)

    def take_penalised() -> tuple[int, int | None, str]:
        if penalised:
            sid = penalised.pop()
            record_id = max(penalties[sid])
            code = providers.get(records_service.get_record(session, record_id).provider_id)
            if code:
                return sid, record_id, code
        return clean.pop(), None, "TZ-SCJG"

    made: list[int] = []

    def scenario(
        name: str, list_type: str, steps: Callable[[int, Actor], None], *, clean_subject: bool = False
    ) -> None:
        if clean_subject:
            if not clean:
                return
            sid, record_id, code = clean.pop(), None, "TZ-SCJG"
        else:
            if not penalised and not clean:
                return
            sid, record_id, code = take_penalised()
        lt = service.get_list_type(list_type)
        if lt.procedure.basis_record and record_id is None:
            return  # no penalty to rest the listing on: the scenario is left out
        actor = OFFICE if lt.deciding_department.rule == "credit_office" else _dept(code)
        first = _SCENARIO_DATES[name]
        reasons = _REASONS[list_type]
        view = service.propose(
            session,
            list_type=list_type,
            subject_id=sid,
            actor=actor,
            reasons=reasons,
            basis_record_id=record_id if lt.kind != "red" else None,
            on=first,
            today=today,
            dedup_key=f"demo:{name}",
        )
        steps(view.id, actor)
        made.append(view.id)

    def notice(d: date) -> Callable[[int, Actor], None]:
        return lambda pid, a: _ok(service.notice(session, pid, actor=a, on=d, today=today))

    def chain(*fs: Callable[[int, Actor], None]) -> Callable[[int, Actor], None]:
        def run(pid: int, a: Actor) -> None:
            for f in fs:
                f(pid, a)

        return run

    def statement(d: date) -> Callable[[int, Actor], None]:
        return lambda pid, a: _ok(
            service.file_statement(
                session,
                pid,
                actor=a,
                text="我单位已停产整改，违法行为未造成严重后果，请求不予列入。",
                on=d,
                today=today,
            )
        )

    def decide(d: date, doc: str, outcome: str = "list") -> Callable[[int, Actor], None]:
        return lambda pid, a: _ok(
            service.decide(
                session,
                pid,
                actor=a,
                outcome=outcome,
                reasons="经审查，陈述申辩理由不成立，符合列入条件，依法列入。"
                if outcome == "list"
                else "经审查，陈述申辩理由成立，决定不予列入。",
                document_number=doc,
                signed_by="局长 王志强"
                if service.get_list_type(_lt(pid)).procedure.signed_decision
                else None,
                on=d,
                today=today,
            )
        )

    def publish(d: date) -> Callable[[int, Actor], None]:
        return lambda pid, a: _ok(service.publish(session, pid, actor=a, on=d, today=today))

    def interview(d: date, kind: str) -> Callable[[int, Actor], None]:
        return lambda pid, a: _ok(
            service.record_interview(
                session,
                pid,
                actor=a,
                kind=kind,
                summary=f"{service.INTERVIEW_ZH[kind]}：督促限期履行义务、消除不良影响。",
                on=d,
                today=today,
            )
        )

    def rectify(d: date) -> Callable[[int, Actor], None]:
        return lambda pid, a: _ok(
            service.record_rectification(
                session, pid, actor=a, text="已缴纳罚款并完成整改，经核查属实。", on=d, today=today
            )
        )

    def exit_(d: date, reason: str, text: str) -> Callable[[int, Actor], None]:
        return lambda pid, a: _ok(
            service.exit_list(session, pid, actor=a, reason=reason, text=text, on=d, today=today)
        )

    def withdraw(d: date) -> Callable[[int, Actor], None]:
        return lambda pid, a: _ok(
            service.withdraw(session, pid, actor=a, text="据以提议的处罚决定已被撤销。", on=d, today=today)
        )

    def _lt(pid: int) -> str:
        return service.procedure_list_type(session, pid)

    # 严重失信主体名单: published and rectified after a prompt interview.
    scenario(
        "blacklist_published",
        "blacklist",
        chain(
            notice(date(2026, 4, 1)),
            statement(date(2026, 4, 3)),
            decide(date(2026, 4, 14), "台市监信决〔2026〕1号"),
            publish(date(2026, 4, 20)),
            interview(date(2026, 5, 20), "prompt"),
            rectify(date(2026, 6, 15)),
        ),
    )
    # Published, rectification lagging: a warning interview is overdue.
    scenario(
        "blacklist_interview_due",
        "blacklist",
        chain(
            notice(date(2026, 6, 1)),
            decide(date(2026, 6, 15), "台市监信决〔2026〕2号"),
            publish(date(2026, 6, 18)),
            interview(date(2026, 7, 20), "prompt"),
        ),
    )
    # Decided but not published within 7 working days: overdue in the queue.
    scenario(
        "blacklist_unpublished",
        "blacklist",
        chain(notice(date(2026, 10, 9)), decide(date(2026, 10, 26), "台市监信决〔2026〕3号")),
    )
    scenario("blacklist_noticed", "blacklist", notice(date(2026, 11, 18)))
    scenario("blacklist_heard", "blacklist", chain(notice(date(2026, 11, 3)), statement(date(2026, 11, 6))))
    scenario("blacklist_proposed", "blacklist", lambda pid, a: None)
    scenario(
        "blacklist_dismissed",
        "blacklist",
        chain(
            notice(date(2026, 8, 4)),
            statement(date(2026, 8, 6)),
            decide(date(2026, 8, 20), "台市监信决〔2026〕4号", "dismiss"),
        ),
    )
    scenario("blacklist_withdrawn", "blacklist", withdraw(date(2026, 9, 3)))
    scenario(
        "blacklist_repaired",
        "blacklist",
        chain(
            notice(date(2025, 3, 10)),
            decide(date(2025, 3, 24), "台市监信决〔2025〕6号"),
            publish(date(2025, 3, 28)),
            rectify(date(2025, 6, 30)),
            exit_(date(2026, 4, 15), "repaired", "最短期限届满，已整改并完成信用修复，移出名单。"),
        ),
    )
    # 重点关注名单 (not published).
    scenario(
        "watch_listed",
        "watch_list",
        chain(
            notice(date(2026, 9, 1)),
            decide(date(2026, 9, 15), "台市监关〔2026〕1号"),
            interview(date(2026, 10, 20), "prompt"),
        ),
    )
    scenario(
        "watch_revoked",
        "watch_list",
        chain(
            notice(date(2026, 2, 2)),
            decide(date(2026, 2, 24), "台市监关〔2026〕2号"),
            exit_(date(2026, 5, 20), "reconsideration_revoked", "据以列入的处罚决定被行政复议决定撤销。"),
        ),
    )
    # Ends by itself at the end of its year (the tick below).
    scenario(
        "watch_period_end",
        "watch_list",
        chain(notice(date(2025, 6, 2)), decide(date(2025, 6, 16), "台市监关〔2025〕3号")),
    )
    # 守信激励对象名单 (red list): published members and one awaiting the decision.
    for n in range(5):
        scenario(
            f"red_published_{n}",
            "red_list",
            chain(decide(date(2026, 7, 1), f"台信办〔2026〕{10 + n}号"), publish(date(2026, 7, 6))),
            clean_subject=True,
        )
    scenario("red_proposed", "red_list", lambda pid, a: None, clean_subject=True)
    # 经营异常名录: on it since 2023 (the tick proposes the 严重违法企业名单), and one that left it.
    scenario(
        "anomaly_three_years",
        "business_anomaly",
        chain(decide(date(2023, 7, 3), "台市监异〔2023〕15号"), publish(date(2023, 7, 5))),
        clean_subject=True,
    )
    scenario(
        "anomaly_left",
        "business_anomaly",
        chain(
            decide(date(2026, 5, 6), "台市监异〔2026〕8号"),
            publish(date(2026, 5, 8)),
            exit_(date(2026, 8, 12), "obligation_fulfilled", "已补报年度报告并公示，移出经营异常名录。"),
        ),
        clean_subject=True,
    )
    _seed_serious_illegal(session, today, clean, made)
    session.commit()
    service.tick(session, today)
    session.commit()
    while service.process_events(session):
        session.commit()
    summary.scenarios = len(made)
    summary.by_status = service.procedure_status_counts(session)
    return summary


def _seed_serious_illegal(session: Session, today: date, clean: list[int], made: list[int]) -> None:
    """An enterprise on the 经营异常名录 since 2022, moved to the 严重违法企业名单 in 2025."""
    if not clean:
        return
    sid = clean.pop()
    actor = _dept("TZ-SCJG")
    src = service.propose(
        session,
        list_type="business_anomaly",
        subject_id=sid,
        actor=actor,
        reasons=_REASONS["business_anomaly"],
        on=date(2022, 5, 9),
        today=today,
        dedup_key="demo:anomaly_escalated",
    )
    service.decide(
        session,
        src.id,
        actor=actor,
        outcome="list",
        reasons="列入经营异常名录",
        document_number="台市监异〔2022〕3号",
        on=date(2022, 5, 10),
        today=today,
    )
    service.publish(session, src.id, actor=actor, on=date(2022, 5, 11), today=today)
    esc = service.propose(
        session,
        list_type="serious_illegal_enterprise",
        subject_id=sid,
        actor=OFFICE,
        reasons="列入经营异常名录满三年仍未履行公示义务（台市监异〔2022〕3号）",
        department_code="TZ-SCJG",
        on=date(2025, 5, 12),
        today=today,
        origin="escalation",
        dedup_key=f"serious_illegal_enterprise:escalation:{src.id}",
        source_procedure_id=src.id,
    )
    service.notice(session, esc.id, actor=actor, on=date(2025, 5, 12), today=today)
    service.decide(
        session,
        esc.id,
        actor=actor,
        outcome="list",
        reasons="满三年未履行公示义务，依法列入严重违法企业名单",
        document_number="浙市监严〔2025〕21号",
        signed_by="局长 王志强",
        on=date(2025, 5, 26),
        today=today,
    )
    service.publish(session, esc.id, actor=actor, on=date(2025, 5, 28), today=today)
    made.extend([src.id, esc.id])


def _ok(_view: object) -> None:
    return None


_SCENARIO_DATES: dict[str, date] = {
    "blacklist_published": date(2026, 3, 30),
    "blacklist_interview_due": date(2026, 5, 28),
    "blacklist_unpublished": date(2026, 10, 9),
    "blacklist_noticed": date(2026, 11, 16),
    "blacklist_heard": date(2026, 11, 2),
    "blacklist_proposed": date(2026, 11, 16),
    "blacklist_dismissed": date(2026, 8, 3),
    "blacklist_withdrawn": date(2026, 9, 1),
    "blacklist_repaired": date(2025, 3, 6),
    "watch_listed": date(2026, 8, 28),
    "watch_revoked": date(2026, 1, 28),
    "watch_period_end": date(2025, 5, 29),
    **{f"red_published_{n}": date(2026, 6, 22) for n in range(5)},
    "red_proposed": date(2026, 11, 13),
    "anomaly_three_years": date(2023, 7, 3),
    "anomaly_left": date(2026, 5, 6),
}
_REASONS: dict[str, str] = {
    "blacklist": "因违法行为受到行政处罚，情节严重、社会危害较大，拟列入严重失信主体名单。",
    "watch_list": "十二个月内多次受到行政处罚，失信风险较大，拟列为重点关注对象。",
    "red_list": "公共信用综合评价优秀，无失信信息，拟认定为守信激励对象。",
    "business_anomaly": "未按规定期限公示年度报告。",
}
