"""`xinyong push receive` says why a signature fails (in Chinese), and the push CLI speaks Chinese;
the demo subscriber's receiver port is configurable."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from xinyong.cli import app
from xinyong.core.db import Database
from xinyong.measures import push
from xinyong.measures.cli import RECEIVER_PORT, receipt_line

SECRET = push.new_secret()
BODY = '{"type": "list.entered", "data": {"subject": "91331000MA2XXXXXXX"}}'
NOW = 1_765_000_000


def _headers(*, secret: str = SECRET, ts: int = NOW, body: str = BODY) -> dict[str, str]:
    return {
        "webhook-id": "msg_1_1",
        "webhook-timestamp": str(ts),
        "webhook-signature": push.sign(secret, "msg_1_1", ts, body),
    }


def test_a_valid_signature_has_no_problem() -> None:
    assert push.signature_problem(SECRET, _headers(), BODY, now=NOW) is None
    assert push.verify_signature(SECRET, _headers(), BODY, now=NOW)


@pytest.mark.parametrize(
    ("headers", "body", "says"),
    [
        ({}, BODY, "缺少请求头 webhook-id、webhook-timestamp、webhook-signature"),
        (
            {k: v for k, v in _headers().items() if k != "webhook-signature"},
            BODY,
            "缺少请求头 webhook-signature",
        ),
        ({**_headers(), "webhook-timestamp": "昨天"}, BODY, "不是整数秒时间戳"),
        (_headers(ts=NOW - 3600), BODY, "时间戳超出允许范围：与本机时间相差 3600 秒（允许 ±300 秒）"),
        ({**_headers(), "webhook-signature": "sha256=abc"}, BODY, "签名格式不正确"),
        (_headers(secret=push.new_secret()), BODY, "签名与密钥不符"),
        (_headers(), BODY.replace("list.entered", "list.exited"), "签名与密钥不符"),
    ],
)
def test_each_bad_signature_says_why(headers: dict[str, str], body: str, says: str) -> None:
    problem = push.signature_problem(SECRET, headers, body, now=NOW)
    assert problem is not None and says in problem, problem
    assert not push.verify_signature(SECRET, headers, body, now=NOW)


def test_a_malformed_secret_is_named() -> None:
    problem = push.signature_problem("whsec_不是密钥", _headers(), BODY, now=NOW)
    assert problem is not None and "签名密钥格式不正确" in problem


def test_the_receiver_answers_401_with_the_reason() -> None:
    status, line = receipt_line(SECRET, {**_headers(ts=0)}, BODY)
    assert status == 401 and "签名无效：时间戳超出允许范围" in line
    status, line = receipt_line(SECRET, {}, BODY)
    assert status == 401 and "缺少请求头" in line and "（无 webhook-id）" in line


def test_push_cli_speaks_chinese(db: Database) -> None:
    runner = CliRunner()
    replayed = runner.invoke(app, ["push", "replay", "--all"])
    assert replayed.exit_code == 0 and "已将 0 条死信放回投递队列" in replayed.output
    ran = runner.invoke(app, ["push", "run"])
    assert ran.exit_code == 0 and "已投递" in ran.output and "delivered" not in ran.output
    helped = runner.invoke(app, ["push", "receive", "--help"], env={"COLUMNS": "200"})
    assert "XINYONG_DEMO_PUSH_PORT" in helped.output and str(RECEIVER_PORT) in helped.output


def test_the_demo_subscriber_listens_on_the_configured_port(db: Database, tmp_path: Path) -> None:
    from xinyong.demo.service import build_demo
    from xinyong.measures.models import PushSubscription

    build_demo(db, subjects=60, seed=2026, out_dir=tmp_path / "samples", push_port=8611)
    with db.session() as s:
        urls = {sub.url for sub in s.query(PushSubscription)}
    assert urls == {"http://127.0.0.1:8611/xinyong-webhook"}
