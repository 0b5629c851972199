"""``xinyong report subject`` and ``xinyong report batch``: the window's commands."""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

from sqlalchemy.orm import Session
from typer.testing import CliRunner

from tests.portal.seed import COMPANY, City
from xinyong.cli import app
from xinyong.reports import service


def test_subject_writes_a_signed_pdf_and_batch_a_zip(session: Session, city: City, tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "report.pdf"
    one = runner.invoke(
        app,
        [
            "report",
            "subject",
            city.company_uscc,
            "--out",
            str(out),
            "--kind",
            "special",
            "--field",
            "生态环境",
        ],
    )
    assert one.exit_code == 0, one.output
    assert "专项信用报告（生态环境）" in one.output and COMPANY in one.output
    assert service.verify_file(session, out.read_bytes()).status == "valid"

    codes = tmp_path / "codes.csv"
    codes.write_text(
        f"统一社会信用代码\n{city.company_uscc}\n{city.trader_uscc}\n91330000000000000X\n", encoding="utf-8"
    )
    archive = tmp_path / "batch.zip"
    batch = runner.invoke(
        app,
        ["report", "batch", str(codes), "--kind", "special", "--field", "市场监管", "--out", str(archive)],
    )
    # One code is unknown: the others are issued, the failure is listed, the exit status says so.
    assert batch.exit_code == 1, batch.output
    assert "已出具 2 份，失败 1 份" in batch.output
    with zipfile.ZipFile(archive) as z:
        names = z.namelist()
        pdfs = [n for n in names if n.endswith(".pdf")]
        assert len(pdfs) == 2 and any(n.startswith(city.trader_uscc) for n in pdfs)
        listing = list(csv.reader(io.StringIO(z.read("清单.csv").decode("utf-8-sig"))))
        for name in pdfs:
            assert service.verify_file(session, z.read(name)).status == "valid"
    assert listing[0][0] == "主体代码"
    rows = {r[0]: r for r in listing[1:]}
    assert rows[city.company_uscc][4] == "0" and rows[city.company_uscc][6] == "已出具"
    assert rows["91330000000000000X"][6] != "已出具"
