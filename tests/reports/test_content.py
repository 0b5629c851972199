"""What a report says: the national sections with their counts, repaired/expired information left
out, the special report's "nothing found" and "found" answers (assembly only: no PDF here)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session

from tests.portal.seed import ECOLOGY, LICENCE_DOC, PENALTY_DOC, City
from xinyong.core.errors import InvalidInput, NotFound
from xinyong.records import store as records_store
from xinyong.reports import service
from xinyong.reports.content import SECTION_SOURCES, Entry

NATIONAL_ORDER = [
    "登记注册基础信息",
    "行政管理信息",
    "诚实守信相关荣誉",
    "严重失信主体名单",
    "经营（活动）异常名录",
    "信用承诺",
    "信用评价",
    "司法判决及执行",
    "其他",
    "信用状况提升建议",
]


def _public(
    session: Session, city: City, scope: str = "full", subject: str | None = None
) -> service.ReportContent:
    s = service.find_subject(session, subject or city.company_uscc)
    return service.assemble(session, s, kind="public", scope=scope, rules=service.Rules())


def test_public_report_has_the_national_sections_in_order_with_counts(session: Session, city: City) -> None:
    content = _public(session, city)
    assert [s.name_zh for s in content.sections] == NATIONAL_ORDER
    by = {s.code: s for s in content.sections}
    assert by["registration"].count == 1
    assert dict(by["registration"].facts)["统一社会信用代码"] == city.company_uscc
    assert dict(by["registration"].facts)["所属行业"] == "制造业"  # the GB/T 4754 name, not "C"
    admin = by["administration"]
    assert admin.count == 2
    titles = [e.title for e in admin.entries]
    assert any("超标排放大气污染物" in t for t in titles)
    assert any("食品经营许可" in t for t in titles)
    penalty = next(e for e in admin.entries if e.document_number == PENALTY_DOC)
    assert penalty.department == ECOLOGY
    # Identity fields are in the heading once, not repeated per record.
    assert all(label not in ("统一社会信用代码", "行政相对人名称") for label, _ in penalty.rows)
    # The advice reads the sections: a penalty in force → the repair advice, no commitment → make one.
    advice = by["advice"].lines
    assert any("信用修复" in line for line in advice)
    assert any("信用承诺" in line for line in advice)
    assert content.counts["administration"] == 2
    assert content.counts["serious_dishonesty"] == 0


def test_expired_and_withdrawn_information_is_left_out(session: Session, city: City) -> None:
    # Ten years on, every publicity window has closed (the daily tick ends them): nothing is shown.
    later = city.today + timedelta(days=3650)
    ended = records_store.tick(session, later)
    session.commit()
    assert ended >= 2
    content = service.assemble(
        session,
        service.find_subject(session, city.company_uscc),
        kind="public",
        scope="full",
        rules=service.Rules(),
        as_of=datetime.combine(later, datetime.min.time(), UTC),
    )
    by = {s.code: s for s in content.sections}
    assert by["administration"].count == 0
    assert by["advice"].lines[0].startswith("未发现影响信用状况的负面信息")


def test_public_scope_hides_a_natural_persons_penalty(session: Session, city: City) -> None:
    full = _public(session, city, "full", city.person_id_number)
    public = _public(session, city, "public", city.person_id_number)
    assert {s.code: s.count for s in full.sections}["administration"] == 1
    assert {s.code: s.count for s in public.sections}["administration"] == 0


def _special(session: Session, subject: Any, field: str, **period: date) -> Any:
    """The full special report (专项信用报告) of ``field`` under the default rules."""
    return service.assemble(
        session, subject, kind="special", scope="full", rules=service.Rules(), field=field, **period
    )


def test_special_report_nothing_found(session: Session, city: City) -> None:
    subject = service.find_subject(session, city.company_uscc)
    content = _special(session, subject, "市场监管")
    assert content.found == 0
    assert "在市场监管领域未发现违法违规记录" in content.conclusion
    # The default period: the last three years up to today.
    assert content.period_to == city.today
    assert content.period_from is not None and content.period_from.year == city.today.year - 3


def test_special_report_found_lists_the_record(session: Session, city: City) -> None:
    subject = service.find_subject(session, city.company_uscc)
    content = _special(session, subject, "生态环境")
    assert content.found == 1
    assert "生态环境领域有违法违规记录 1 条" in content.conclusion
    (entry,) = content.sections[1].entries
    assert entry.document_number == PENALTY_DOC
    # A period before the decision finds nothing.
    before = _special(
        session, subject, "生态环境", period_from=date(2020, 1, 1), period_to=date(2022, 12, 31)
    )
    assert before.found == 0
    # A licence is never a 违法违规 record.
    assert all(e.document_number != LICENCE_DOC for e in content.sections[1].entries)


def test_special_report_refuses_unknown_field_and_bad_period(session: Session, city: City) -> None:
    subject = service.find_subject(session, city.company_uscc)
    with pytest.raises(NotFound) as unknown:
        _special(session, subject, "航天")
    assert unknown.value.code == "reports.unknown_field"
    with pytest.raises(InvalidInput) as bad:
        _special(session, subject, "税务", period_from=date(2026, 1, 2), period_to=date(2026, 1, 1))
    assert bad.value.code == "reports.bad_period"


def test_a_registered_section_source_adds_entries(
    session: Session, city: City, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The place commitment procedures (and repair marks) plug into: a sibling domain registers a
    source for a section and its entries appear, counted."""
    monkeypatch.setitem(SECTION_SOURCES, "commitments", [])
    service.register_section_source(
        "commitments", lambda s, sid: [Entry(title="告知承诺：食品经营许可（已履约）", date=city.today)]
    )
    by = {s.code: s for s in _public(session, city).sections}
    assert by["commitments"].count == 1
    assert not any("信用承诺并严格履约" in line for line in by["advice"].lines)
