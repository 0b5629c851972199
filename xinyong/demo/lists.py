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

from xinyong.core.calendar import load_calendar
from xinyong.ingest import service as ingest_service
from xinyong.lists import service
from xinyong.lists.service import Actor
from xinyong.records import service as records_service
from xinyong.subjects import service as subjects_service

OFFICE = Actor("demo:TZ-XYB", "credit_office")
_MARKER = "demo:blacklist_published"
Step = Callable[[int, Actor], None]  # one step of a procedure, given its id and the actor


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
        name: str,
        list_type: str,
        first: date,
        steps: Step,
        *,
        clean_subject: bool = False,
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

    st = _Steps(session, today)

    # Closed history keeps its calendar dates; every case left open has its dates counted back
    # from today, so its pending step falls due around the day the demo is built (a few
    # working days overdue at most, whatever that day is).
    cal = load_calendar(session)

    def ago(back: int) -> date:
        """The working day ``back`` working days before today."""
        return cal.add_working_days(today, -back)

    # 严重失信主体名单: published and rectified after a prompt interview.
    scenario(
        "blacklist_published",
        "blacklist",
        date(2026, 3, 30),
        st.chain(
            st.notice(date(2026, 4, 1)),
            st.statement(date(2026, 4, 3)),
            st.decide(date(2026, 4, 14), "台市监信决〔2026〕1号"),
            st.publish(date(2026, 4, 20)),
            st.interview(date(2026, 5, 20), "prompt"),
            st.rectify(date(2026, 6, 15)),
        ),
    )
    # Published, rectification lagging after a prompt interview: the warning interview is a few
    # working days overdue.
    scenario(
        "blacklist_interview_due",
        "blacklist",
        ago(78),
        st.chain(
            st.notice(ago(76)),
            st.decide(ago(60), f"台市监信决〔{ago(60).year}〕2号"),
            st.publish(ago(57)),
            st.interview(ago(33), "prompt"),
        ),
    )
    # Decided but not published within 7 working days: overdue in the queue.
    scenario(
        "blacklist_unpublished",
        "blacklist",
        ago(30),
        st.chain(st.notice(ago(29)), st.decide(ago(12), f"台市监信决〔{ago(12).year}〕3号")),
    )
    scenario("blacklist_noticed", "blacklist", ago(4), st.notice(ago(2)))
    scenario("blacklist_heard", "blacklist", ago(14), st.chain(st.notice(ago(12)), st.statement(ago(10))))
    scenario("blacklist_proposed", "blacklist", ago(3), lambda pid, a: None)
    scenario(
        "blacklist_dismissed",
        "blacklist",
        date(2026, 8, 3),
        st.chain(
            st.notice(date(2026, 8, 4)),
            st.statement(date(2026, 8, 6)),
            st.decide(date(2026, 8, 20), "台市监信决〔2026〕4号", "dismiss"),
        ),
    )
    scenario("blacklist_withdrawn", "blacklist", date(2026, 9, 1), st.withdraw(date(2026, 9, 3)))
    scenario(
        "blacklist_repaired",
        "blacklist",
        date(2025, 3, 6),
        st.chain(
            st.notice(date(2025, 3, 10)),
            st.decide(date(2025, 3, 24), "台市监信决〔2025〕6号"),
            st.publish(date(2025, 3, 28)),
            st.rectify(date(2025, 6, 30)),
            st.exit_(date(2026, 4, 15), "repaired", "最短期限届满，已整改并完成信用修复，移出名单。"),
        ),
    )
    # 重点关注名单 (not published): the rectification deadline has just passed, the interview is
    # due today.
    scenario(
        "watch_listed",
        "watch_list",
        ago(40),
        st.chain(st.notice(ago(39)), st.decide(ago(25), f"台市监关〔{ago(25).year}〕1号")),
    )
    scenario(
        "watch_revoked",
        "watch_list",
        date(2026, 1, 28),
        st.chain(
            st.notice(date(2026, 2, 2)),
            st.decide(date(2026, 2, 24), "台市监关〔2026〕2号"),
            st.exit_(date(2026, 5, 20), "reconsideration_revoked", "据以列入的处罚决定被行政复议决定撤销。"),
        ),
    )
    # Ends by itself at the end of its year (the tick below).
    scenario(
        "watch_period_end",
        "watch_list",
        date(2025, 5, 29),
        st.chain(st.notice(date(2025, 6, 2)), st.decide(date(2025, 6, 16), "台市监关〔2025〕3号")),
    )
    # 守信激励对象名单 (red list): published members and one awaiting the decision.
    for n in range(5):
        scenario(
            f"red_published_{n}",
            "red_list",
            date(2026, 6, 22),
            st.chain(st.decide(date(2026, 7, 1), f"台信办〔2026〕{10 + n}号"), st.publish(date(2026, 7, 6))),
            clean_subject=True,
        )
    scenario("red_proposed", "red_list", ago(6), lambda pid, a: None, clean_subject=True)
    # 经营异常名录: on it since 2023 (the tick proposes the 严重违法企业名单) after interviews that
    # did not bring the annual reports in, and one that left it.
    scenario(
        "anomaly_three_years",
        "business_anomaly",
        date(2023, 7, 3),
        st.chain(
            st.decide(date(2023, 7, 3), "台市监异〔2023〕15号"),
            st.publish(date(2023, 7, 5)),
            st.interview(date(2023, 8, 7), "prompt"),
            st.interview(ago(10), "warning"),
        ),
        clean_subject=True,
    )
    scenario(
        "anomaly_left",
        "business_anomaly",
        date(2026, 5, 6),
        st.chain(
            st.decide(date(2026, 5, 6), "台市监异〔2026〕8号"),
            st.publish(date(2026, 5, 8)),
            st.exit_(date(2026, 8, 12), "obligation_fulfilled", "已补报年度报告并公示，移出经营异常名录。"),
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
    """An enterprise on the 经营异常名录 since 2022, moved to the 严重违法企业名单 in 2025; it
    then filed its annual reports, so both procedures are carried to their end (rectified, and
    the 经营异常名录 left) as the city's history, with no step left pending."""
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
    st = _Steps(session, today)
    st.chain(
        st.decide(date(2022, 5, 10), "台市监异〔2022〕3号", reasons="列入经营异常名录"),
        st.publish(date(2022, 5, 11)),
        st.interview(date(2022, 6, 15), "prompt", "提示约谈：督促限期补报年度报告。"),
    )(src.id, actor)
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
    done = "已补报2022至2024年度报告并公示，经核查属实。"
    st.chain(
        st.notice(date(2025, 5, 12)),
        st.decide(
            date(2025, 5, 26),
            "浙市监严〔2025〕21号",
            reasons="满三年未履行公示义务，依法列入严重违法企业名单",
        ),
        st.publish(date(2025, 5, 28)),
        st.rectify(date(2025, 6, 20), done),
    )(esc.id, actor)
    st.chain(
        st.rectify(date(2025, 6, 20), done),
        st.exit_(date(2025, 6, 23), "obligation_fulfilled", "已补报年度报告并公示，移出经营异常名录。"),
    )(src.id, actor)
    made.extend([src.id, esc.id])


@dataclass
class _Steps:
    """The procedure steps of the scenarios, each on a fixed day, through the real service."""

    session: Session
    today: date

    @staticmethod
    def chain(*steps: Step) -> Step:
        def run(pid: int, actor: Actor) -> None:
            for step in steps:
                step(pid, actor)

        return run

    def notice(self, d: date) -> Step:
        return lambda pid, a: _ok(service.notice(self.session, pid, actor=a, on=d, today=self.today))

    def statement(self, d: date) -> Step:
        text = "我单位已停产整改，违法行为未造成严重后果，请求不予列入。"
        return lambda pid, a: _ok(
            service.file_statement(self.session, pid, actor=a, text=text, on=d, today=self.today)
        )

    def decide(self, d: date, doc: str, outcome: str = "list", reasons: str | None = None) -> Step:
        if reasons is None:
            reasons = (
                "经审查，陈述申辩理由不成立，符合列入条件，依法列入。"
                if outcome == "list"
                else "经审查，陈述申辩理由成立，决定不予列入。"
            )

        def run(pid: int, a: Actor) -> None:
            lt = service.get_list_type(service.procedure_list_type(self.session, pid))
            service.decide(
                self.session,
                pid,
                actor=a,
                outcome=outcome,
                reasons=reasons,
                document_number=doc,
                signed_by="局长 王志强" if lt.procedure.signed_decision else None,
                on=d,
                today=self.today,
            )

        return run

    def publish(self, d: date) -> Step:
        return lambda pid, a: _ok(service.publish(self.session, pid, actor=a, on=d, today=self.today))

    def interview(self, d: date, kind: str, summary: str | None = None) -> Step:
        text = summary or f"{service.INTERVIEW_ZH[kind]}：督促限期履行义务、消除不良影响。"
        return lambda pid, a: _ok(
            service.record_interview(
                self.session, pid, actor=a, kind=kind, summary=text, on=d, today=self.today
            )
        )

    def rectify(self, d: date, text: str = "已缴纳罚款并完成整改，经核查属实。") -> Step:
        return lambda pid, a: _ok(
            service.record_rectification(self.session, pid, actor=a, text=text, on=d, today=self.today)
        )

    def exit_(self, d: date, reason: str, text: str) -> Step:
        return lambda pid, a: _ok(
            service.exit_list(self.session, pid, actor=a, reason=reason, text=text, on=d, today=self.today)
        )

    def withdraw(self, d: date) -> Step:
        text = "据以提议的处罚决定已被撤销。"
        return lambda pid, a: _ok(
            service.withdraw(self.session, pid, actor=a, text=text, on=d, today=self.today)
        )


def _ok(_view: object) -> None:
    return None


_REASONS: dict[str, str] = {
    "blacklist": "因违法行为受到行政处罚，情节严重、社会危害较大，拟列入严重失信主体名单。",
    "watch_list": "十二个月内多次受到行政处罚，失信风险较大，拟列为重点关注对象。",
    "red_list": "公共信用综合评价优秀，无失信信息，拟认定为守信激励对象。",
    "business_anomaly": "未按规定期限公示年度报告。",
}
