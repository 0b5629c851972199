"""验真: a genuine report is valid; one changed byte makes the CLI and /verify say altered; an
old report says expired; a wrong check code or a foreign file is unknown. The PDF carries a
PAdES signature by the report certificate, checkable offline with the public part only."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from tests.accounts.helpers import form_token
from tests.portal.seed import COMPANY, City
from xinyong.accounts.principal import Principal
from xinyong.cli import app
from xinyong.core.pdf import render_pdf
from xinyong.core.settings import PROJECT_ROOT
from xinyong.reports import service

WINDOW = Principal(role="credit_office", kind="cli", username="clerk")


def _flip(pdf: bytes, at: int) -> bytes:
    changed = bytearray(pdf)
    changed[at] ^= 0x01
    return bytes(changed)


def test_cli_and_page_say_valid_then_altered_after_one_byte(
    client: TestClient, session: Session, city: City, tmp_path: Path
) -> None:
    issued = service.issue_report(session, WINDOW, city.company_uscc, channel="cli")
    session.commit()
    good = tmp_path / "good.pdf"
    good.write_bytes(issued.pdf)
    # The embedded signature is valid and trusted by the report certificate, over the whole file.
    check = service.check_signature(issued.pdf)
    assert check.intact and check.trusted and check.covers_whole_file

    runner = CliRunner()
    ok = runner.invoke(app, ["report", "verify", str(good)])
    assert ok.exit_code == 0, ok.output
    assert "真实有效" in ok.output and issued.sha256 in ok.output

    bad = tmp_path / "bad.pdf"
    bad.write_bytes(_flip(issued.pdf, len(issued.pdf) // 2))
    altered = runner.invoke(app, ["report", "verify", str(bad)])
    assert altered.exit_code == 1
    assert "已被篡改" in altered.output and "哈希值不符" in altered.output

    # The verification page: the QR link (number + check code) …
    page = client.get("/verify", params={"number": issued.number, "code": issued.check_code})
    assert page.status_code == 200
    assert 'data-status="valid"' in page.text and issued.sha256 in page.text and COMPANY in page.text
    # … and the upload of the altered file (the form's CSRF token, as a browser sends it).
    token = form_token(client.get("/verify").text)
    upload = client.post(
        "/verify",
        data={"csrf_token": token},
        files={"file": ("bad.pdf", bad.read_bytes(), "application/pdf")},
    )
    assert upload.status_code == 200
    assert 'data-status="altered"' in upload.text and issued.sha256 in upload.text

    # A change in the signature itself is altered too (the register has no such file).
    assert service.verify_file(session, _flip(issued.pdf, len(issued.pdf) - 2000)).status == "altered"
    # The offline script checks signature and hash with the certificate only, without the store.
    cert = tmp_path / "report.pem"
    cert.write_bytes(service.certificate_pem())
    script = PROJECT_ROOT / "docs" / "verify_report.py"
    offline = subprocess.run(
        [sys.executable, str(script), str(good), "--cert", str(cert), "--sha256", issued.sha256],
        capture_output=True,
        text=True,
        check=False,
    )
    assert offline.returncode == 0, offline.stdout + offline.stderr
    offline_bad = subprocess.run(
        [sys.executable, str(script), str(bad), "--cert", str(cert)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert offline_bad.returncode == 1


def test_expired_and_unknown(client: TestClient, session: Session, city: City) -> None:
    # Issued 40 days ago: valid 30 days (ruleset), so expired today.
    old = service.issue_report(
        session, WINDOW, city.company_uscc, channel="cli", now=datetime.now(UTC) - timedelta(days=40)
    )
    session.commit()
    result = service.verify_file(session, old.pdf)
    assert result.status == "expired" and result.valid_until == old.valid_until
    page = client.get("/verify", params={"number": old.number, "code": old.check_code})
    assert 'data-status="expired"' in page.text and "已过有效期" in page.text
    wrong = client.get("/verify", params={"number": old.number, "code": "ZZZZZZZZ"})
    assert 'data-status="unknown"' in wrong.text and old.sha256 not in wrong.text
    # A PDF the platform never issued.
    foreign = render_pdf("<p>伪造的信用报告</p>")
    assert service.verify_file(session, foreign).status == "unknown"


def test_the_verification_address_is_the_deployments_public_url(monkeypatch: pytest.MonkeyPatch) -> None:
    """The QR code of a report opens the platform as the public reaches it, not 127.0.0.1."""
    from xinyong.core.settings import reset_settings

    platform = service.Rules().platform
    assert platform.verify_url == "/verify"
    monkeypatch.setenv("XINYONG_PUBLIC_URL", "https://credit.taizhou.gov.cn/")
    reset_settings()
    try:
        assert platform.verify_address == "https://credit.taizhou.gov.cn/verify"
        monkeypatch.delenv("XINYONG_PUBLIC_URL")
        monkeypatch.setenv("XINYONG_PORT", "8600")
        reset_settings()
        assert platform.verify_address == "http://127.0.0.1:8600/verify"
        elsewhere = platform.model_copy(update={"verify_url": "https://www.zjcredit.gov.cn/verify"})
        assert elsewhere.verify_address == "https://www.zjcredit.gov.cn/verify"
    finally:
        monkeypatch.undo()
        reset_settings()
