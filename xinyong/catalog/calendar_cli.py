"""CLI of the working-day calendar: ``xinyong calendar add|between|years|load-notice|override|overrides``.

Beside the catalog's other rule tables because loading a notice and overriding a day are
ledgered changes (``catalog.calendar``); the questions (add, between, years) work before
``xinyong init``: without a store only the package, the ruleset and provisional years count."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import typer
from sqlalchemy import inspect
from sqlalchemy.exc import SQLAlchemyError

from xinyong.catalog.calendar import add_override, load_notice
from xinyong.core import calendar as cal
from xinyong.core import cli_errors
from xinyong.core.calendar_notice import read_notice_file
from xinyong.core.cli_common import domain_errors, parse_day
from xinyong.core.cli_errors import fail
from xinyong.core.db import Database, get_database
from xinyong.core.errors import DomainError

calendar_app = typer.Typer(help="工作日历：法定节假日与调休。", no_args_is_help=True)


def _parse_date(value: str, what: str) -> date:
    """A required date argument (``what`` names it in the error)."""
    day = parse_day(value.strip(), what)
    if day is None:  # an empty argument
        raise cli_errors.error(f"缺少{what}（应为 YYYY-MM-DD）")
    return day


def _initialised_store() -> Database | None:
    """The configured store if it exists and is migrated; never creates one."""
    db = get_database()
    url = db.engine.url
    if url.get_backend_name() == "sqlite" and (
        not url.database or url.database == ":memory:" or not Path(url.database).exists()
    ):
        return None
    try:
        with db.engine.connect() as conn:
            return db if inspect(conn).has_table("calendar_notices") else None
    except SQLAlchemyError as exc:
        typer.echo(
            f"注意：无法连接存储，未计入本地调整日（{type(exc).__name__}）",
            err=True,
        )
        return None


def _require_store() -> Database:
    """The initialised store, or exit 1 saying to run ``xinyong init``."""
    db = _initialised_store()
    if db is None:
        raise cli_errors.error("存储尚未初始化", hint="请先运行 xinyong init")
    return db


def _calendar() -> cal.WorkCalendar:
    # Works before `xinyong init`: without a store only the package and the ruleset count.
    db = _initialised_store()
    if db is None:
        return cal.base_calendar()
    with db.session() as session:
        return cal.load_calendar(session)


@calendar_app.command("add")
def calendar_add(
    start: str = typer.Argument(..., help="起算日期 YYYY-MM-DD（当日不计入）"),
    n: int = typer.Argument(..., help="要加的工作日数"),
) -> None:
    """打印起算日之后第 N 个工作日的日期（起算日当日不计入）。"""
    day = _parse_date(start, "起算日期")
    calendar = _calendar()
    with domain_errors():
        result = calendar.add_working_days(day, n)
    _echo_dated(result.isoformat(), calendar, day, result)


def _echo_dated(answer: str, calendar: cal.WorkCalendar, *days: date) -> None:
    """The answer as the last line, starting with it; a provisional basis is said before it and
    after it (``calendar_basis: provisional``)."""
    basis = calendar.basis(*days)
    if basis == cal.PROVISIONAL:
        years = "、".join(
            str(y) for y in calendar.provisional_years() if min(days).year <= y <= max(days).year
        )
        typer.echo(f"注意：{years}年尚未导入国务院节假日安排通知，{cal.BASIS_ZH[basis]}")
        typer.echo(f"{answer}\tcalendar_basis: {basis}（{cal.BASIS_ZH[basis]}）")
    else:
        typer.echo(answer)


@calendar_app.command("between")
def calendar_between(
    first: str = typer.Argument(..., help="开始日期 YYYY-MM-DD（当日不计入）"),
    second: str = typer.Argument(..., help="结束日期 YYYY-MM-DD（当日计入）"),
) -> None:
    """打印开始日期之后至结束日期（含）之间的工作日数。"""
    a, b = _parse_date(first, "开始日期"), _parse_date(second, "结束日期")
    calendar = _calendar()
    with domain_errors():
        count = calendar.working_days_between(a, b)
    _echo_dated(str(count), calendar, a, b)


@calendar_app.command("years")
def calendar_years() -> None:
    """列出日历已知的年份及其依据（国务院通知或暂定）。"""
    calendar = _calendar()
    provisional = set(calendar.provisional_years())
    for year in calendar.known_years()[-10:]:
        basis = cal.PROVISIONAL if year in provisional else cal.NOTICE
        typer.echo(f"{year}\t{basis}\t{cal.BASIS_ZH[basis]}")
    warning = cal.missing_notice_warning(calendar, date.today())
    if warning:
        typer.echo(warning[1], err=True)


@calendar_app.command("load-notice", short_help="载入某年的国务院办公厅关于部分节假日安排的通知。")
def calendar_load_notice(
    file: Path = typer.Argument(..., help="通知内容，YAML 或 JSON 格式（见 docs/operations.md）"),
) -> None:
    """载入某年的国务院办公厅关于部分节假日安排的通知。
    先校验；该年按暂定日历算出的期限由下一次每日任务重新计算。"""
    db = _require_store()
    try:
        raw = read_notice_file(file)
        with db.session() as session:
            summary = load_notice(session, raw, by="cli")
            session.commit()
    except DomainError as exc:
        problems = exc.details.get("problems") or []
        for p in problems:
            typer.echo(f"  - {p['field']} = {p['value']}：{p['message_zh']}（{p['rule']}）", err=True)
        raise fail(exc) from None
    verb = "已替换" if summary.replaced else "已导入"
    typer.echo(f"{verb} {summary.year} 年节假日安排：{summary.source}")
    for h in summary.holidays:
        typer.echo(f"  {h['name']}\t{h['from']} 至 {h['to']}\t共{h['days']}天")
    for w in summary.workdays:
        typer.echo(f"  {w['name']}\t{w['date']}\t上班")
    typer.echo(f"{summary.year} 年按暂定日历推算的期限将在下一次每日任务（xinyong tick）中重新计算")


@calendar_app.command("override")
def calendar_override(
    day: str = typer.Argument(..., help="日期 YYYY-MM-DD"),
    workday: bool = typer.Option(
        ..., "--workday/--holiday", help="设为工作日（--workday）或休息日（--holiday）"
    ),
    name: str = typer.Option(..., "--name", help="调整的名称，如 台风停工 / 地方节日"),
    source: str = typer.Option("", "--source", help="作出该调整的通知（文件名称与文号）"),
) -> None:
    """保存本市对某一天的调整（需要已初始化的存储）。"""
    d = _parse_date(day, "日期")
    db = _require_store()
    with domain_errors(), db.session() as session:
        o = add_override(session, d, workday, name, source, by="cli")
    typer.echo(f"{o.day.isoformat()} {'工作日' if o.is_workday else '休息日'} {o.name}")


@calendar_app.command("overrides")
def calendar_overrides() -> None:
    """列出已保存的日期调整。"""
    db = _initialised_store()
    if db is None:
        return
    with db.session() as session:
        for o in cal.list_overrides(session):
            typer.echo(
                f"{o.day.isoformat()}\t{'workday' if o.is_workday else 'holiday'}\t{o.name}\t{o.source}"
            )


def register(app: typer.Typer) -> None:
    """Attach the calendar commands to the main CLI."""
    app.add_typer(calendar_app, name="calendar")
