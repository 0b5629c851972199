"""CLI of the subjects domain: ``xinyong subject show|search`` and ``xinyong governance ...``."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

import typer
from rich.console import Console

from xinyong.core.cli_common import cli_session, cli_table, print_rows
from xinyong.subjects import service
from xinyong.subjects.kinds import KIND_ZH, ROLE_ZH

console = Console()
err_console = Console(stderr=True)

subject_app = typer.Typer(help="信用主体：查看与查询", no_args_is_help=True)
governance_app = typer.Typer(help="重错码治理：扫描、列表、处理", no_args_is_help=True)

_KIND_ZH = {
    "inner_check_mismatch": "错码",
    "code_multiple_names": "一码多名",
    "name_multiple_codes": "一名多码",
    "provisional_subject": "临时主体",
}
_MATCH_ZH = {"code": "代码", "name": "名称", "prefix": "前缀", "fragment": "片段"}
# The portal's names of case statuses (``portal.strings`` console.governance.status.*;
# tests/subjects/test_cli.py keeps them equal): the subjects domain sits below the portal.
CASE_STATUS_ZH = {"open": "待处理", "resolved": "已处理"}
_RESOLUTION_ZH = {"merge": "合并", "correct": "更正代码", "distinct": "确认不同主体", "confirm": "确认无误"}


def _zh(names: dict[str, str], code: str | None) -> str:
    """「企业（enterprise）」: the Chinese name, with the code in brackets to type it back in."""
    if not code:
        return ""
    return f"{names[code]}（{code}）" if code in names else code


def _json(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, default=str, indent=2)


@subject_app.command("show")
def show(
    code: str = typer.Argument(..., help="统一社会信用代码或身份证号码"),
    as_json: bool = typer.Option(False, "--json", help="输出 JSON"),
) -> None:
    """按统一社会信用代码或身份证号码查看主体（身份证号码脱敏显示）。"""
    with cli_session() as session:
        subject = service.get_by_code(session, code)
        relations = service.list_relations(session, subject.id)
    if as_json:
        console.print_json(_json({"subject": asdict(subject), "relations": [asdict(r) for r in relations]}))
        return
    rows = [
        ("主体 ID", str(subject.id)),
        ("类别", _zh(KIND_ZH, subject.kind)),
        ("统一社会信用代码", subject.uscc or "—"),
        ("身份证号码", subject.id_number_masked or "—"),
        ("曾用名", "、".join(subject.former_names) or "—"),
        ("法定代表人", subject.legal_representative or "—"),
        ("住所", subject.address or "—"),
        ("行政区划", subject.division_code or "—"),
        ("行业门类", subject.industry or "—"),
        ("成立日期", str(subject.registered_on or "—")),
        ("注册资本（万元）", str(subject.registered_capital or "—")),
        ("状态", subject.status + ("（临时主体，待核实）" if subject.provisional else "")),
    ]
    print_rows(subject.name, rows)
    if relations:
        rel = cli_table(
            "方向", "角色", "关联主体", "代码", "起", "止", "来源", codes=["代码"], title="关联关系"
        )
        for r in relations:
            rel.add_row(
                "→" if r.direction == "outgoing" else "←",
                ROLE_ZH.get(r.role, r.role),
                r.other.name,
                r.other.uscc or r.other.id_number_masked or "—",
                str(r.since or ""),
                str(r.until or ""),
                r.source,
            )
        console.print(rel)


@subject_app.command("search")
def search_cmd(
    q: str = typer.Argument(..., help="名称片段（2 字以上）、代码前缀或完整身份证号码"),
    kind: str = typer.Option(
        None,
        help="主体类别：enterprise（企业）/ organisation（社会组织等）/ individual_business（个体工商户）/ natural_person（自然人）",
    ),
    page: int = typer.Option(1, min=1, help="页码"),
    per_page: int = typer.Option(20, min=1, max=100, help="每页行数"),
) -> None:
    """按名称片段（含曾用名）或代码前缀查询主体。"""
    with cli_session() as session:
        result = service.search(session, q, kind=kind, page=page, per_page=per_page)
    table = cli_table(
        "ID",
        "名称",
        "代码",
        "类别",
        "命中",
        "命中名称",
        codes=["代码"],
        title=f"共 {result.total} 个主体（第 {page} 页）",
    )
    for item in result.items:
        s = item.subject
        table.add_row(
            str(s.id),
            s.name + (" [临时]" if s.provisional else ""),
            s.uscc or s.id_number_masked or "—",
            KIND_ZH.get(s.kind, s.kind),
            _MATCH_ZH[item.match],
            item.matched_name if item.matched_name and item.matched_name != s.name else "",
        )
    console.print(table)


@governance_app.command("detect")
def detect() -> None:
    """扫描存储中的重错码与临时主体（可重复执行，结果不变）。"""
    with cli_session() as session:
        opened = service.detect_cases(session)
        report = service.governance_report(session)
    console.print(f"新建治理事项 [bold]{opened}[/bold] 个；待处理共 {report.open_total} 个")
    console.print(f"重错码率：{report.error_rate_per_10000:.4f} / 万（代码 {report.codes_total} 个）")


@governance_app.command("list")
def list_cmd(
    status: str = typer.Option("open", help="状态：open（待处理）/ resolved（已处理）/ all（全部）"),
    kind: str = typer.Option(
        None,
        help="类别：inner_check_mismatch（校验位不符）/ code_multiple_names（一码多名）/ "
        "name_multiple_codes（一名多码）/ provisional_subject（临时主体）",
    ),
    page: int = typer.Option(1, min=1, help="页码"),
    per_page: int = typer.Option(20, min=1, max=100, help="每页行数"),
) -> None:
    """列出重错码治理案件。"""
    with cli_session() as session:
        result = service.list_cases(
            session, status=None if status == "all" else status, kind=kind, page=page, per_page=per_page
        )
    table = cli_table(
        "ID",
        "类型",
        "代码",
        "名称",
        "主体",
        "状态",
        "处理",
        codes=["代码"],
        title=f"共 {result.total} 个治理事项",
    )
    for c in result.items:
        table.add_row(
            str(c.id),
            _KIND_ZH.get(c.kind, c.kind),
            c.code or "—",
            c.name or "—",
            ", ".join(f"{s.id}:{s.name}" for s in c.subjects),
            CASE_STATUS_ZH.get(c.status, c.status),
            _zh(_RESOLUTION_ZH, c.resolution),
        )
    console.print(table)


@governance_app.command("report")
def report_cmd() -> None:
    """按类别与状态统计案件数，并对照规则集目标给出重错码率。"""
    with cli_session() as session:
        report = service.governance_report(session)
    console.print_json(_json(asdict(report)))


@governance_app.command("resolve")
def resolve_cmd(
    case_id: int = typer.Argument(..., help="案件编号"),
    resolution: str = typer.Argument(
        ...,
        help="处理方式：" + "/ ".join(f"{code}（{name}）" for code, name in _RESOLUTION_ZH.items()),
    ),
    by: str = typer.Option(..., "--by", help="处理人"),
    note: str = typer.Option("", help="处理说明"),
    target: int = typer.Option(None, "--target", help="merge：保留的主体 ID；correct：要更正的主体 ID"),
    code: str = typer.Option(None, "--code", help="correct：正确的代码"),
) -> None:
    """处理一件重错码治理案件；处理决定记录在案件上。"""
    with cli_session() as session:
        case = service.resolve_case(
            session, case_id, resolution, by=by, note=note, target_subject_id=target, corrected_code=code
        )
    console.print(
        f"[green]已处理[/green] 事项 {case.id}（{_KIND_ZH.get(case.kind, case.kind)}）："
        f"{_zh(_RESOLUTION_ZH, case.resolution)}"
    )
    console.print_json(_json(case.resolution_detail))


def register(app: typer.Typer) -> None:
    """Attach the subject and governance commands to the main CLI."""
    app.add_typer(subject_app, name="subject")
    app.add_typer(governance_app, name="governance")
