"""CLI of the measures domain: ``xinyong measures validate|list|check|overdue`` and
``xinyong push run|dead-letters|replay``."""

from __future__ import annotations

import time
from pathlib import Path

import typer
from rich.console import Console

from xinyong.core.cli_common import cli_session, cli_table, domain_errors, echo_json, os_user

# Commands import their modules inside the function: `xinyong --help` and each command load only
# what they use (start-up time of the CLI). Not to dodge a cycle.

console = Console()
measures_app = typer.Typer(help="联合奖惩（measures）：措施清单、核查、反馈。", no_args_is_help=True)
push_app = typer.Typer(help="推送（触发式，push）：投递订阅的变化、死信、重投。", no_args_is_help=True)


# Where `push receive` listens by default, and the port of the demo subscriber's webhook
# (xinyong.demo.measures): `xinyong demo build --push-port` and this variable change both.
RECEIVER_PORT = 8090
RECEIVER_PORT_ENV = "XINYONG_DEMO_PUSH_PORT"


def register(app: typer.Typer) -> None:
    """Attach ``xinyong measures ...`` and ``xinyong push ...`` to the main CLI."""
    app.add_typer(measures_app, name="measures")
    app.add_typer(push_app, name="push")


@measures_app.command("validate", short_help="检查措施清单：法律依据、事项、名单、过惩相当。")
def validate(
    directory: Path = typer.Argument(None, help="措施目录（默认：规则集中的措施目录）"),
) -> None:
    """检查措施清单：有法律依据，事项、名单、等级均已定义，每项触发条件不超出其依据允许的范围（过惩相当）。"""
    from xinyong.measures.catalog import load_measures, measures_dir

    with domain_errors():
        cat = load_measures(directory or measures_dir())
    kinds = {k: sum(1 for m in cat.measures.values() if m.kind == k) for k in ("reward", "punishment")}
    console.print(
        f"[green]检查通过（ok）[/green] 版本 {cat.version}：激励措施 {kinds['reward']} 项，"
        f"惩戒措施 {kinds['punishment']} 项，事项 {len(cat.matters)} 个，依据 {len(cat.bases)} 条"
    )


@measures_app.command("list")
def list_cmd(
    kind: str = typer.Option(None, help="类别：reward（激励）| punishment（惩戒）"),
    matter: str = typer.Option(None, help="只看该事项的措施"),
) -> None:
    """已发布的措施清单。"""
    from xinyong.measures import catalog_reads

    with domain_errors():
        items = catalog_reads.list_measures(kind=kind, matter=matter)
    table = cli_table(
        "代码", "措施", "类别", "依据", "实施单位", "事项", codes=["代码"], title="联合奖惩措施清单"
    )
    for m in items:
        table.add_row(
            m.code,
            m.name_zh,
            "激励" if m.kind == "reward" else "惩戒",
            "；".join(f"{b.law}{b.article}" for b in m.bases),
            m.department,
            ", ".join(m.matters),
        )
    console.print(table)


@measures_app.command("check", short_help="核查一个主体适用的联合奖惩措施，输出 JSON。")
def check_cmd(
    subject: str = typer.Argument(..., help="统一社会信用代码或身份证号码"),
    matter: str = typer.Option(..., help="事项代码，如 government_procurement（政府采购）"),
    purpose: str = typer.Option(..., help="查询用途代码（信用办可用的用途），如 supervision（监管）"),
    department: str = typer.Option(None, help="核查部门代码（记入日志）"),
) -> None:
    """在命令行核查一个主体（以命令行操作员、信用办角色记入核查记录与查询记录）；输出 JSON。"""
    from xinyong.accounts.principal import Principal
    from xinyong.measures import checks
    from xinyong.measures.caller import Caller

    who = Principal(role="credit_office", kind="cli", username=os_user(), department_code=department)
    caller = Caller(label="cli", role="credit_office", department_code=department, principal=who)
    with cli_session() as session:
        answer = checks.check(
            session, subject_code=subject, matter_code=matter, purpose=purpose, caller=caller
        )
    console.print_json(answer.model_dump_json())


@measures_app.command("overdue")
def overdue(department: str = typer.Option(None, help="只看该部门")) -> None:
    """已过反馈期限（工作日）仍未反馈的、有措施的核查。"""
    from xinyong.measures import check_reads
    from xinyong.measures.caller import Caller

    caller = Caller(label="cli", role="credit_office")
    with cli_session() as session:
        page = check_reads.list_checks(
            session, caller, overdue_only=True, department_code=department, limit=500
        )
    table = cli_table(
        "核查编号",
        "核查日期",
        "部门",
        "主体",
        "事项",
        "措施",
        "反馈期限",
        title=f"逾期未反馈的核查：{page.total} 条",
    )
    for c in page.items:
        table.add_row(
            c.check_id,
            f"{c.issued_at:%Y-%m-%d}",
            c.department_code or "",
            str(c.subject_id),
            c.matter,
            ", ".join(c.measures),
            str(c.feedback_due_on),
        )
    console.print(table)


@push_app.command("run")
def run(
    loop: bool = typer.Option(False, "--loop", help="持续运行（每 push_poll_seconds 秒一次）"),
) -> None:
    """将新事件分发给订阅并投递到期的推送（失败按退避重试）。"""
    from xinyong.core.db import get_database
    from xinyong.core.settings import get_settings
    from xinyong.measures import push

    db = get_database()
    while True:
        with domain_errors():
            r = push.run_once(db)
        console.print(
            f"事件 {r.events_consumed} · 新建投递 {r.deliveries_created} · 已投递 {r.delivered} · "
            f"待重试 {r.retried} · 转入死信 {r.dead}"
        )
        if not loop:
            return
        time.sleep(max(get_settings().push_poll_seconds, 0.5))


@push_app.command("dead-letters")
def dead_letters(limit: int = typer.Option(100, min=1, help="最多显示条数")) -> None:
    """死信队列：多次重试均失败的投递。"""
    from xinyong.measures import push

    with cli_session() as session:
        page = push.list_deliveries(session, status="dead", limit=limit)
    echo_json(page)


@push_app.command("replay")
def replay(
    delivery_ids: list[int] = typer.Argument(None, help="投递编号（默认：见 --all）"),
    all_: bool = typer.Option(False, "--all", help="重投全部死信"),
    subscription: int = typer.Option(None, help="与 --all 同用：只重投该订阅的死信"),
) -> None:
    """将死信放回队列（webhook-id 不变，接收方可据此去重）。"""
    from xinyong.measures import push

    with cli_session() as session:
        if all_:
            n = push.replay_all_dead(session, by="cli", subscription_id=subscription)
        else:
            n = len(push.replay(session, delivery_ids or [], by="cli"))
    console.print(f"已将 {n} 条死信放回投递队列")


@push_app.command("receive", short_help="试用推送的 webhook 接收端，核验每次投递的签名。")
def receive(
    port: int = typer.Option(
        RECEIVER_PORT,
        "--port",
        envvar=RECEIVER_PORT_ENV,
        help=f"监听端口（也可用环境变量 {RECEIVER_PORT_ENV}；演示订阅的端口由 xinyong demo build --push-port 设定）",
    ),
    host: str = typer.Option("127.0.0.1", help="监听地址"),
    secret: str = typer.Option(None, help="订阅的 whsec_ 签名密钥"),
    subscription: int = typer.Option(None, help="或：从存储中读取该订阅的签名密钥"),
) -> None:
    """用于试用推送的小型 webhook 接收端：打印每次投递及其 Standard Webhooks 签名是否通过，
    未通过时说明原因（演示订阅默认指向 127.0.0.1:8090）。"""
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    if not secret and subscription is not None:
        from xinyong.core import crypto
        from xinyong.core.db import get_database
        from xinyong.measures.models import PushSubscription

        with get_database().session() as session:
            sub = session.get(PushSubscription, subscription)
            if sub is None:
                console.print(f"[red]没有该推送订阅[/red]：{subscription}")
                raise typer.Exit(1)
            secret = crypto.decrypt(sub.secret_encrypted)
    if not secret:
        console.print("[red]请提供 --secret 或 --subscription[/red]")
        raise typer.Exit(2)
    key = secret

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", "0"))).decode("utf-8")
            status, line = receipt_line(key, dict(self.headers.items()), body)
            self.send_response(status)
            self.end_headers()
            console.print(line, soft_wrap=True)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer((host, port), Handler)
    console.print(f"正在监听 http://{host}:{port}/（按 Ctrl-C 停止）")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


def receipt_line(secret: str, headers: dict[str, str], body: str) -> tuple[int, str]:
    """The receiver's HTTP status and printed line for one delivery: valid, or why not."""
    from xinyong.measures import push

    problem = push.signature_problem(secret, headers, body)
    webhook_id = {k.lower(): v for k, v in headers.items()}.get("webhook-id", "（无 webhook-id）")
    if problem is None:
        return 200, f"[green]签名有效[/green] {webhook_id} {body}"
    return 401, f"[red]签名无效：{problem}[/red] {webhook_id} {body}"
