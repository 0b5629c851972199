"""Commands of the reports domain: ``xinyong report subject|verify|batch|uses``.

Run at the platform's own host by window staff: the acting user is recorded as
``cli:<operating-system user>`` with the credit office's role (a window report).
"""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from xinyong.accounts.cli import console_principal
from xinyong.core.cli_common import cli_session, parse_day
from xinyong.core.db import get_database
from xinyong.core.errors import DomainError
from xinyong.reports import service

report_app = typer.Typer(
    help="信用报告：为主体出具报告、核验报告 PDF、批量出具专项报告。",
    no_args_is_help=True,
)
console = Console()
err_console = Console(stderr=True)


@report_app.command("subject")
def subject(
    code: str = typer.Argument(..., help="统一社会信用代码或身份证号码"),
    out: Path = typer.Option(..., "--out", help="PDF 文件路径"),
    kind: str = typer.Option("public", "--kind", help="public 公共信用信息报告；special 专项信用报告"),
    field: str | None = typer.Option(None, "--field", help="专项信用报告的领域，如 市场监管"),
    period_from: str | None = typer.Option(None, "--from", help="专项：查询期间起始日（默认近 3 年）"),
    period_to: str | None = typer.Option(None, "--to", help="专项：查询期间截止日（默认今天）"),
) -> None:
    """为一个主体出具信用报告（窗口出具），写出已签名的 PDF。"""
    with cli_session() as session:
        issued = service.issue_report(
            session,
            console_principal(),
            code,
            kind=kind,
            field=field,
            period_from=parse_day(period_from, "--from"),
            period_to=parse_day(period_to, "--to"),
            channel="cli",
        )
    out.write_bytes(issued.pdf)
    console.print(f"已出具 {service.kind_name(issued.kind, issued.field)}：{issued.subject_name}")
    console.print(f"报告编号 {issued.number}  验证码 {issued.check_code}  有效期至 {issued.valid_until}")
    console.print(f"SHA-256 {issued.sha256}  ({issued.size} 字节) → {out}")


@report_app.command("verify")
def verify(file: Path = typer.Argument(..., exists=True, dir_okay=False, help="信用报告 PDF")) -> None:
    """核验信用报告文件（登记簿与签名）；仅在有效时退出码为 0。"""
    with cli_session() as session:
        result = service.verify_file(session, file.read_bytes())
    colour = "green" if result.valid else "red"
    console.print(f"[{colour}]{result.status_zh}[/{colour}]（{result.status}）：{result.reason_zh}")
    if result.number:
        console.print(f"报告编号 {result.number}  {result.kind_zh}  {result.subject_name or ''}")
    if result.registered_sha256:
        console.print(f"登记的 SHA-256  {result.registered_sha256}")
    console.print(f"文件的 SHA-256  {result.file_sha256}")
    raise typer.Exit(0 if result.valid else 1)


def read_codes(path: Path) -> list[str]:
    """Subject codes from a CSV (first column; a header row and blank rows are skipped;
    UTF-8 or GB18030)."""
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("gb18030")
    codes = []
    for row in csv.reader(io.StringIO(text)):
        value = row[0].strip() if row else ""
        if value and value.isascii() and value.replace("X", "").replace("x", "").isalnum():
            codes.append(value.upper())
    return codes


@report_app.command("batch", short_help="为 CSV 中的每个主体出具报告，合为一个 ZIP。")
def batch(
    codes_csv: Path = typer.Argument(..., exists=True, dir_okay=False, help="CSV：第一列为统一社会信用代码"),
    out: Path = typer.Option(..., "--out", help="ZIP 文件路径"),
    kind: str = typer.Option("special", "--kind", help="public 或 special"),
    field: str | None = typer.Option(None, "--field", help="专项信用报告的领域，如 市场监管"),
) -> None:
    """批量出具信用报告：为 CSV 中的每个主体出具一份，合为一个 ZIP（每份一个 PDF，另附 清单.csv）。"""
    codes = read_codes(codes_csv)
    if not codes:
        err_console.print("CSV 中没有统一社会信用代码或身份证号码")
        raise typer.Exit(1)
    principal = console_principal()
    listing = io.StringIO()
    writer = csv.writer(listing)
    writer.writerow(["主体代码", "主体名称", "报告编号", "验证码", "违法违规记录条数", "SHA-256", "结果"])
    failed = 0
    with (
        zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive,
        Progress(
            TextColumn("[bold]出具信用报告"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
        ) as bar,
    ):
        task = bar.add_task("reports", total=len(codes))
        for code in codes:
            try:
                # One transaction per report: a code that fails does not undo the others.
                with get_database().session() as session:
                    issued = service.issue_report(
                        session, principal, code, kind=kind, field=field, channel="cli"
                    )
                archive.writestr(f"{code}_{issued.number}.pdf", issued.pdf)
                writer.writerow(
                    [
                        code,
                        issued.subject_name,
                        issued.number,
                        issued.check_code,
                        issued.found,
                        issued.sha256,
                        "已出具",
                    ]
                )
            except DomainError as exc:
                failed += 1
                writer.writerow([code, "", "", "", "", "", exc.message_zh])
            bar.advance(task)
        archive.writestr("清单.csv", "\ufeff" + listing.getvalue())
    console.print(f"已出具 {len(codes) - failed} 份，失败 {failed} 份 → {out}")
    raise typer.Exit(0 if failed == 0 else 1)


@report_app.command("matters")
def matters() -> None:
    """列出现行的信用报告应用事项清单。"""
    for code, name, kinds in service.matters():
        console.print(f"{code:24} {name}（{'、'.join(service.KIND_NAMES_ZH[k] for k in kinds)}）")


def register(app: typer.Typer) -> None:
    app.add_typer(report_app, name="report")
