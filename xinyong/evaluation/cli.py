"""CLI of the evaluation domain: ``xinyong evaluate run|explain|whatif|report|backtest|validate|models``."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import typer
from rich.console import Console

from xinyong.core.cli_common import cli_session, cli_table, domain_errors, parse_day

# Commands import their modules inside the function: `xinyong --help` and each command load only
# what they use (DuckDB and the engines take seconds to import). Not to dodge a cycle.

console = Console()
evaluate = typer.Typer(help="公共信用综合评价（evaluation）：模型、评价批次、等级与解释。")


def register(app: typer.Typer) -> None:
    """Attach ``xinyong evaluate ...`` to the main CLI."""
    app.add_typer(evaluate, name="evaluate")


def _plain(value: object) -> str:
    """A number as people read it: 91.25, 84 (not 91.2500, 84.0000)."""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value else "0"
    return str(value)


def _subject_id(session: object, ref: str) -> int:
    from xinyong.subjects import service as subjects_service

    if ref.isdigit() and len(ref) < 12:
        return int(ref)
    return subjects_service.get_by_code(session, ref).id  # type: ignore[arg-type]


@evaluate.command("validate")
def validate(
    directory: Path = typer.Argument(None, help="模型目录（默认：规则集中的模型目录）"),
) -> None:
    """检查模型文件：未知指标、权重之和不为 1、分箱重叠等。"""
    from xinyong.evaluation import service

    with domain_errors(exit_code=1):  # 1: the files are invalid (as `catalog validate` says it)
        specs = service.load_model_files(directory or service.models_dir())
    for s in specs:
        kinds = ", ".join(s.subject_kinds)
        console.print(
            f"[green]有效[/green] {s.code} {s.version} ({s.name_zh}; {kinds}; 自 {s.effective_from} 起)"
        )


@evaluate.command("models")
def models() -> None:
    """列出存储中登记的模型版本（已发布与草稿）。"""
    from xinyong.evaluation import service

    with cli_session() as session:
        rows = service.list_models(session)
    table = cli_table(
        "编号",
        "模型",
        "版本",
        "状态",
        "生效日期",
        "代码",
        "内容哈希",
        codes=["代码", "内容哈希"],
    )
    for m in rows:
        table.add_row(
            str(m.id),
            m.name_zh,
            m.version,
            _MODEL_STATUS_ZH.get(m.status, m.status),
            str(m.effective_from),
            m.code,
            m.content_hash[:12],
        )
    console.print(table)


@evaluate.command("run")
def run(
    engine: str = typer.Option("duckdb", help="计算引擎：duckdb（默认）或 spark"),
    as_of: str = typer.Option(None, "--as-of", help="评价日期 YYYY-MM-DD（默认：中国时区的今天）"),
) -> None:
    """评价所有适用的主体（每个现行模型一个批次）并更新等级。"""
    from xinyong.evaluation import service

    with cli_session() as session:
        runs = service.run_batch(session, engine=engine, as_of=parse_day(as_of, "--as-of"))
    for r in runs:
        grades = _grade_names(r.model_code)
        names = {spec.code: spec.name_zh for spec in service.models_in_force(date.today())}
        counts = "，".join(f"{grades.get(g, g)} {n}" for g, n in r.grade_counts.items())
        seconds = (r.finished_at - r.started_at).total_seconds() if r.finished_at else 0.0
        console.print(
            f"评价批次 {r.id}：{names.get(r.model_code, r.model_code)}（{r.model_version}，"
            f"{_ENGINE_ZH.get(r.engine, r.engine)}）：{r.subjects} 个主体，等级变化 {r.changed} 个；"
            f"{counts}；用时 {seconds:.1f} 秒"
        )


@evaluate.command("explain")
def explain(subject: str = typer.Argument(..., help="主体编号、统一社会信用代码或身份证号码")) -> None:
    """主体的评价等级及其理由。"""
    from xinyong.evaluation import service

    with cli_session() as session:
        r = service.explain(session, _subject_id(session, subject))
    names = {spec.code: spec.name_zh for spec in service.models_in_force(r.as_of)}
    console.print(
        f"主体 {r.subject_id}：[bold]{r.grade_display_zh}[/bold] 得分 {_plain(r.score)}"
        f"（{names.get(r.model_code, r.model_code)}（{r.model_code}）{r.model_version}，"
        f"评价日 {r.as_of}，批次 {r.run_id}）"
    )
    for code, value in r.dimensions.items():
        console.print(f"  {r.dimension_names_zh[code]}：{_plain(value)}")
    for reason in r.reasons:
        pts = f" {reason.points:+}" if reason.points is not None else ""
        cites = f" 记录 {reason.record_ids}" if reason.record_ids else ""
        kind = REASON_KIND_ZH.get(reason.kind, reason.kind)
        console.print(f"  [{kind}] {reason.name_zh}{pts}{cites}：{reason.rule_zh}", highlight=False)


@evaluate.command("whatif", short_help="哪些记录经修复或到期后会改变等级（what-if）。")
def whatif(subject: str = typer.Argument(..., help="主体编号、统一社会信用代码或身份证号码")) -> None:
    """哪些记录经修复或到期后会改变等级，以及各记录的计分期何时结束（what-if）。"""
    from xinyong.evaluation import service

    with cli_session() as session:
        w = service.whatif(session, _subject_id(session, subject))
    grades = _grade_names(w.current.model_code)
    items = _item_names()
    console.print(f"当前 {w.current.grade_display_zh} 得分 {w.current.score}")
    table = cli_table("记录", "目录项", "失信程度", "公示期届满次日", "去掉该记录后", "等级是否改变")
    for r in w.records:
        table.add_row(
            str(r.record_id),
            items.get(r.item_code, r.item_code),
            _SEVERITY_ZH.get(r.severity or "", ""),
            str(r.ends_on or "—"),
            f"{grades.get(r.grade_without, r.grade_without)} {r.score_without}",
            "是" if r.changes_grade else "否",
        )
    console.print(table)
    if w.all_repaired:
        console.print(f"全部修复后 {w.all_repaired.grade_display_zh} 得分 {w.all_repaired.score}")
    for p in w.timeline:
        ended = "、".join(str(i) for i in p.records_ended)
        console.print(f"{p.on} 起（记录 {ended} 公示期届满）：{grades.get(p.grade, p.grade)} 得分 {p.score}")


# The portal's words for a reason's kind (``portal.strings`` me.reason.*; a test keeps them equal).
REASON_KIND_ZH = {"veto": "一票否决", "cap": "等级上限", "cost": "扣分", "gain": "加分"}
_MODEL_STATUS_ZH = {"published": "已发布", "draft": "草稿", "retired": "已停用"}
_ENGINE_ZH = {"duckdb": "DuckDB 引擎", "spark": "Spark 引擎"}
_SEVERITY_ZH = {"minor": "轻微", "general": "一般", "serious": "严重"}
_PSI_STATUS_ZH = {"stable": "稳定", "watch": "需关注", "shift": "明显偏移"}
_NOT_ENOUGH = "样本不足，无法计算"


def _grade_names(model_code: str) -> dict[str, str]:
    """Grade code → 「B（良好）」 from the model in force (the one display form)."""
    from xinyong.evaluation import service

    for spec in service.models_in_force(date.today()):
        if spec.code == model_code:
            return {code: spec.grade(code).display_zh for code in spec.grade_codes()}
    return {}


def _item_names() -> dict[str, str]:
    from xinyong.catalog.service import get_catalog

    return {i.code: i.name_zh for i in get_catalog().items()}


@evaluate.command("report")
def report(
    run_id: int = typer.Argument(None, help="评价批次编号（默认：最近一次批量评价）"),
    compare_to: int = typer.Option(None, "--compare-to", help="对比的另一批次：等级迁移矩阵与 PSI"),
    backtest: bool = typer.Option(False, "--backtest", help="同时在（合成的）历史数据上回测"),
) -> None:
    """评价报告：等级分布与目标对照、等级迁移矩阵、各维度 PSI、回测。"""
    from xinyong.evaluation import service

    with cli_session() as session:
        if run_id is None:
            latest = service.list_runs(session, kind="batch", limit=1)
            if not latest:
                console.print("[yellow]还没有批量评价[/yellow]：请先运行 xinyong evaluate run")
                raise typer.Exit(1)
            run_id = latest[0].id
        rep = service.run_report(session, run_id, compare_to)
        specs = service.models_in_force(date.today()) if backtest else []
        backtests = [service.backtest(session, model_code=spec.code) for spec in specs]
        names = {spec.code: spec.name_zh for spec in service.models_in_force(date.today())}
    model_zh = names.get(rep.run.model_code, rep.run.model_code)
    console.print(f"评价批次 {rep.run.id}：{model_zh}（{rep.run.model_version}），{rep.run.subjects} 个主体")
    table = cli_table("等级", "主体数", "占比", "目标占比")
    for g in rep.distribution:
        table.add_row(g.display_zh, str(g.count), f"{g.share:.2%}", f"{g.target:.1%}")
    console.print(table)
    if rep.migration is not None:
        console.print(f"等级迁移（批次 {compare_to} → 批次 {run_id}）：{rep.migration}")
    for p in rep.psi or []:
        console.print(f"PSI {p.name_zh}：{p.psi}（{_PSI_STATUS_ZH.get(p.status, p.status)}）")
    for bt in backtests:
        console.print(f"[bold]回测：{names.get(bt.model_code, bt.model_code)}（{bt.model_version}）[/bold]")
        console.print(f"  {bt.label_zh}")
        console.print(
            f"  截止 {bt.cutoff}，观察其后 {bt.horizon_months} 个月：{bt.subjects} 个主体，"
            f"{bt.positives} 个在观察期内受到严重行政处罚"
        )
        if bt.auc is None or bt.ks is None:
            reason = (
                "观察期内没有主体受到严重行政处罚"
                if bt.positives == 0
                else "所有主体在观察期内都受到严重行政处罚"
                if bt.positives == bt.subjects
                else "主体数过少"
            )
            console.print(f"  AUC、KS：{_NOT_ENOUGH}（{reason}，无法比较高低等级的差别）")
        else:
            console.print(f"  AUC {bt.auc}，KS {bt.ks}")
