"""`xinyong serve` on a port already taken fails at once, in words, with exit status 2."""

from __future__ import annotations

import socket

from typer.testing import CliRunner

from xinyong.cli import app


def test_serve_on_a_busy_port_says_so_and_exits_2() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        result = CliRunner().invoke(app, ["serve", "--host", "127.0.0.1", "--port", str(port)])
    assert result.exit_code == 2
    assert f"错误：端口 {port} 已被占用" in result.stderr
    assert "--port" in result.stderr
    assert "Traceback" not in result.output
