"""The catalog and rule tables, and the working-day calendar's notices and overrides (from
``catalog.service`` and ``core.calendar``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import yaml
from sqlalchemy.orm import Session

from xinyong.catalog import calendar as calendar_changes
from xinyong.catalog import service as catalog_service
from xinyong.catalog.service import CatalogItem
from xinyong.core import calendar as work_calendar
from xinyong.core import calendar_notice
from xinyong.core.errors import Forbidden, InvalidInput
from xinyong.core.models import CalendarNotice
from xinyong.core.settings import get_settings
from xinyong.portal.console.dashboard import _calendar_warning
from xinyong.portal.console.desk import Desk


@dataclass
class RulesView:
    ruleset: str
    version: str
    items: list[CatalogItem]
    publicity: Any  # catalog.ruleset.PublicityFile
    severity: Any  # catalog.ruleset.SeverityFile
    timeliness: Any  # catalog.ruleset.TimelinessFile
    calendar_years: list[int]
    declared_years: list[work_calendar.DeclaredYear]
    overrides: list[work_calendar.Override]
    provisional_years: list[int] = field(default_factory=list)
    notices: list[CalendarNotice] = field(default_factory=list)
    calendar_warning: str | None = None
    item_names: dict[str, str] = field(default_factory=dict)  # code → 行政处罚 (users read names)


def rules_view(session: Session) -> RulesView:
    catalog = catalog_service.get_catalog()
    cal = work_calendar.load_calendar(session)
    path = get_settings().ruleset_dir / "calendar.yaml"
    return RulesView(
        ruleset=catalog.meta.name,
        version=catalog.meta.version,
        items=catalog.items(),
        publicity=catalog.publicity_rules,
        severity=catalog.severity_rules,
        timeliness=catalog.timeliness_rules,
        calendar_years=cal.noticed_years(),
        declared_years=work_calendar.load_declared_years(path),
        overrides=work_calendar.list_overrides(session),
        provisional_years=cal.provisional_years(),
        notices=calendar_notice.list_notices(session),
        calendar_warning=_calendar_warning(cal),
        item_names={i.code: i.name_zh for i in catalog.items()},
    )


def load_calendar_notice(session: Session, desk: Desk, *, text: str) -> calendar_notice.NoticeSummary:
    """Load a year's State Council holiday notice typed or pasted as YAML/JSON (the same checks
    as ``xinyong calendar load-notice``); the daily job then recomputes provisional dates."""
    if not desk.is_staff:
        raise Forbidden(
            "Only the credit office edits the calendar", "工作日历由信用办维护", code="console.staff_only"
        )
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise InvalidInput(
            f"The notice is not valid YAML or JSON: {exc}",
            f"通知内容不是有效的 YAML 或 JSON：{exc}",
            code="calendar.notice.unreadable",
            field="notice",
        ) from exc
    return calendar_changes.load_notice(session, raw, by=desk.label)


def add_calendar_override(
    session: Session, desk: Desk, *, day: str, kind: str, name: str, source: str
) -> work_calendar.Override:
    """Record a city's correction of one day (a local holiday, a typhoon day off, a make-up
    working day); the decision goes to the ledger in the same transaction."""
    if not desk.is_staff:
        raise Forbidden(
            "Only the credit office edits the calendar", "工作日历由信用办维护", code="console.staff_only"
        )
    try:
        when = date.fromisoformat(day.strip())
    except ValueError:
        raise InvalidInput(
            "The day must be YYYY-MM-DD",
            "日期格式应为 YYYY-MM-DD",
            code="console.bad_date",
            field="day",
            value=day,
        ) from None
    if kind not in ("holiday", "workday"):
        raise InvalidInput(
            "Choose a day off or a working day",
            "请选择休息日或工作日",
            code="console.bad_kind",
            field="kind",
            value=kind,
        )
    if not source.strip():
        raise InvalidInput(
            "Name the notice that decided it",
            "请填写依据（如当地政府通知文号）",
            code="console.source_required",
            field="source",
        )
    return calendar_changes.add_override(session, when, kind == "workday", name, source, by=desk.label)
