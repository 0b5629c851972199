"""CLI of the evaluation domain: ``xinyong evaluate run|explain|whatif|report|backtest|validate|models``."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from xinyong.core.cli_errors import fail

# Commands import their modules inside the function: `xinyong --help` and each command load only
# what they use (DuckDB and the engines take seconds to import). Not to dodge a cycle.

console = Console()
evaluate = typer.Typer(help="公共信用综合评价 public credit evaluation: models, runs, grades, explanations.")


def register(app: typer.Typer) -> None:
    """Attach ``xinyong evaluate ...`` to the main CLI."""
    app.add_typer(evaluate, name="evaluate")


def _day(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        console.print(f"[red]日期格式错误[/red]: {value} (expected YYYY-MM-DD)")
        raise typer.Exit(2) from None


@contextmanager
def _errors() -> Iterator[None]:
    """Domain errors as one line (Chinese, then English) and exit code 1, never a traceback."""
    from xinyong.core.errors import DomainError

    try:
        yield
    except DomainError as exc:
        raise fail(exc) from None


def _subject_id(session: object, ref: str) -> int:
    from xinyong.subjects import service as subjects_service

    if ref.isdigit() and len(ref) < 12:
        return int(ref)
    return subjects_service.get_by_code(session, ref).id  # type: ignore[arg-type]


@evaluate.command("validate")
def validate(
    directory: Path = typer.Argument(None, help="a models directory (default: the ruleset's)"),
) -> None:
    """Check model files: unknown features, weights not summing to 1, overlapping bins ..."""
    from xinyong.core.errors import DomainError
    from xinyong.evaluation import service

    try:
        specs = service.load_model_files(directory or service.models_dir())
    except DomainError as exc:
        console.print(f"[red]无效[/red] {exc.message_zh}\n{exc.message}")
        raise typer.Exit(1) from None
    for s in specs:
        kinds = ", ".join(s.subject_kinds)
        console.print(
            f"[green]有效[/green] {s.code} {s.version} ({s.name_zh}; {kinds}; 自 {s.effective_from} 起)"
        )


@evaluate.command("models")
def models() -> None:
    """List the model versions registered in the store (published and drafts)."""
    from xinyong.core.db import get_database
    from xinyong.evaluation import service

    with _errors(), get_database().session() as session:
        rows = service.list_models(session)
    table = Table("id", "code", "version", "status", "effective_from", "name_zh", "hash")
    for m in rows:
        table.add_row(
            str(m.id), m.code, m.version, m.status, str(m.effective_from), m.name_zh, m.content_hash[:12]
        )
    console.print(table)


@evaluate.command("run")
def run(
    engine: str = typer.Option("duckdb", help="duckdb (default) or spark"),
    as_of: str = typer.Option(None, "--as-of", help="evaluation date YYYY-MM-DD (default: today in China)"),
) -> None:
    """Evaluate every applicable subject (one run per model in force) and update the grades."""
    from xinyong.core.db import get_database
    from xinyong.evaluation import service

    with _errors(), get_database().session() as session:
        runs = service.run_batch(session, engine=engine, as_of=_day(as_of))
    for r in runs:
        counts = " ".join(f"{g}:{n}" for g, n in r.grade_counts.items())
        seconds = (r.finished_at - r.started_at).total_seconds() if r.finished_at else 0.0
        console.print(
            f"run {r.id} {r.model_code} {r.model_version} ({r.engine}): {r.subjects} 个主体，"
            f"等级变化 {r.changed}；{counts}；{seconds:.1f} s"
        )


@evaluate.command("explain")
def explain(subject: str = typer.Argument(..., help="subject id, USCC or ID number")) -> None:
    """A subject's grade with its reasons."""
    from xinyong.core.db import get_database
    from xinyong.evaluation import service

    with _errors(), get_database().session() as session:
        r = service.explain(session, _subject_id(session, subject))
    console.print(
        f"主体 {r.subject_id}: [bold]{r.grade_display_zh}[/bold] 得分 {r.score}"
        f"（模型 {r.model_code} {r.model_version}，评价日 {r.as_of}，批次 {r.run_id}）"
    )
    for code, value in r.dimensions.items():
        console.print(f"  {r.dimension_names_zh[code]}: {value}")
    for reason in r.reasons:
        pts = f" {reason.points:+}" if reason.points is not None else ""
        cites = f" 记录 {reason.record_ids}" if reason.record_ids else ""
        console.print(f"  [{reason.kind}] {reason.name_zh}{pts}{cites}: {reason.rule_zh}")


@evaluate.command("whatif")
def whatif(subject: str = typer.Argument(..., help="subject id, USCC or ID number")) -> None:
    """Which records, if repaired or expired, would change the grade, and when windows end."""
    from xinyong.core.db import get_database
    from xinyong.evaluation import service

    with _errors(), get_database().session() as session:
        w = service.whatif(session, _subject_id(session, subject))
    console.print(f"当前 {w.current.grade_display_zh} 得分 {w.current.score}")
    table = Table("record", "item", "severity", "publicity ends", "without it", "changes grade")
    for r in w.records:
        table.add_row(
            str(r.record_id),
            r.item_code,
            r.severity or "",
            str(r.ends_on or "—"),
            f"{r.grade_without} {r.score_without}",
            "是" if r.changes_grade else "否",
        )
    console.print(table)
    if w.all_repaired:
        console.print(f"全部修复后 {w.all_repaired.grade} {w.all_repaired.score}")
    for p in w.timeline:
        console.print(f"{p.on} 起（记录 {p.records_ended} 公示期届满）: {p.grade} {p.score}")


@evaluate.command("report")
def report(
    run_id: int = typer.Argument(None, help="a run id (default: the latest batch run)"),
    compare_to: int = typer.Option(None, "--compare-to", help="another run: migration matrix and PSI"),
    backtest: bool = typer.Option(False, "--backtest", help="also backtest on the (synthetic) history"),
) -> None:
    """Grade distribution vs the target, migration matrix and PSI per dimension, backtest."""
    from xinyong.core.db import get_database
    from xinyong.evaluation import service

    with _errors(), get_database().session() as session:
        if run_id is None:
            latest = service.list_runs(session, kind="batch", limit=1)
            if not latest:
                console.print("[yellow]还没有批量评价[/yellow]: run `xinyong evaluate run` first")
                raise typer.Exit(1)
            run_id = latest[0].id
        rep = service.run_report(session, run_id, compare_to)
        bt = service.backtest(session, model_code=rep.run.model_code) if backtest else None
    console.print(f"run {rep.run.id} {rep.run.model_code} {rep.run.model_version}: {rep.run.subjects} 个主体")
    table = Table("grade", "count", "share", "target")
    for g in rep.distribution:
        table.add_row(g.display_zh, str(g.count), f"{g.share:.2%}", f"{g.target:.1%}")
    console.print(table)
    if rep.migration is not None:
        console.print(f"等级迁移（run {compare_to} → run {run_id}）: {rep.migration}")
    for p in rep.psi or []:
        console.print(f"PSI {p.name_zh}: {p.psi} ({p.status})")
    if bt is not None:
        console.print(f"[bold]回测（合成数据）[/bold] {bt.label_zh}")
        console.print(
            f"截止 {bt.cutoff}，观察 {bt.horizon_months} 个月：{bt.subjects} 个主体，{bt.positives} 个发生严重处罚；AUC {bt.auc}，KS {bt.ks}"
        )
