"""``xinyong government body-add|bodies|ranking|notices``: public bodies, the integrity ranking and
the notices of defaults."""

from __future__ import annotations

import typer
from rich.console import Console

from xinyong.core.cli_common import cli_session, cli_table

console = Console()
government_app = typer.Typer(
    help="政务诚信：登记机关与事业单位、诚信排名、政务失信通报。", no_args_is_help=True
)


def register(app: typer.Typer) -> None:
    app.add_typer(government_app, name="government")


@government_app.command("body-add")
def body_add(
    code: str = typer.Argument(..., help="统一社会信用代码（11/12 开头）"),
    superior: str = typer.Option(..., "--superior", help="上级主管单位名称"),
    superior_department: str | None = typer.Option(
        None, "--superior-department", help="上级主管单位的部门代码"
    ),
    department: str | None = typer.Option(None, "--department", help="本单位作为信息提供单位的代码"),
) -> None:
    """登记机关、事业单位及其上级主管单位。"""
    # Imported here: `xinyong --help` loads no domain (CLI start-up time).
    from xinyong.government import service

    with cli_session() as session:
        b = service.register_body(
            session,
            code,
            superior_name=superior,
            superior_department_code=superior_department,
            department_code=department,
            by="cli",
        )
    console.print(f"已登记 {b.name}（{b.body_type}），上级主管单位：{b.superior_name}")


@government_app.command("ranking")
def ranking() -> None:
    """按政务诚信评价模型给已登记的机关、事业单位打分排名。"""
    from xinyong.government import service

    with cli_session() as session:
        model = service.get_government_model()
        scores = service.score_bodies(session, model)
    table = cli_table(
        "名次",
        "单位",
        "类别",
        "得分",
        "等级",
        "失信通报",
        "扣分项",
        title=f"{model.name_zh}（{model.version}）排名",
    )
    for s in scores:
        deducted = "；".join(f"{i.name_zh} −{i.points:g}" for i in s.indicators if i.points)
        table.add_row(
            str(s.rank),
            s.body.name,
            s.body.body_type,
            f"{s.score:.2f}",
            s.grade_zh,
            str(s.notices),
            deducted or "—",
        )
    console.print(table)


@government_app.command("notices")
def notices(limit: int = typer.Option(20, "--limit", min=1, max=500, help="最多显示条数")) -> None:
    """最近的政务失信通报。"""
    from xinyong.government import service

    with cli_session() as session:
        page = service.list_notices(session, per_page=limit)
    for n in page.items:
        console.print(f"[{n.created_at:%Y-%m-%d}] {n.text_zh}")
    console.print(f"共 {page.total} 条")
