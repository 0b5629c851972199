"""Building the demo city into a store through the real services, on every backend."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from xinyong.accounts.principal import ACCOUNT_ROLES
from xinyong.catalog.service import get_catalog
from xinyong.cli import app
from xinyong.core.db import Database
from xinyong.core.errors import Conflict
from xinyong.core.identifiers import make_uscc
from xinyong.demo import register as demo_register
from xinyong.demo import samples
from xinyong.demo.service import build_demo
from xinyong.ingest import service as ingest_service
from xinyong.records import service as records_service
from xinyong.subjects import service as subjects_service


def test_small_city_shows_records_quarantine_governance_and_late_rows(
    db: Database, client: TestClient, tmp_path: Path
) -> None:
    summary = build_demo(db, subjects=200, seed=2026, out_dir=tmp_path / "samples")
    assert not summary.already_built
    assert summary.rows_created > 150 and summary.rows_corrected > 0
    assert summary.rows_late > 0
    assert len([p for p in summary.providers if p.api_key]) == len(summary.providers) >= 28
    # Every catalog item has records, and the register came in through ingest.
    with db.session() as s:
        # (失信被执行人 are rare in the generator's story: a 200-subject city may have none.)
        for item in get_catalog().items():
            if item.code == "dishonest_judgment_debtor":
                continue
            subs = ingest_service.list_submissions(s, item_code=item.code, status="done")
            assert subs.total > 0, item.code
        registered = subjects_service.get_by_code(s, summary.examples["penalised"])
        assert registered.registered_on is not None and not registered.provisional
    # The sample files, and the register files the city was loaded from (through ingest).
    register_files = {demo_register.ENTERPRISE_FILE, demo_register.RELATION_FILE}
    assert {p.name for p in (tmp_path / "samples").iterdir()} == {
        s.filename for s in samples.SAMPLES
    } | register_files

    with db.session() as s:
        # Records are in the store, behind their subjects.
        subject = subjects_service.get_by_code(s, summary.examples["penalised"])
        page = records_service.list_subject_records(s, subject.id, visibility="public")
        assert page.total > 0
        # The bad-rows sample filled the quarantine, one reason per planted mistake.
        q = ingest_service.list_quarantine(s, provider=samples.BAD_ROWS_PROVIDER, per_page=50)
        rules = {row.row_number: {e["rule"] for e in row.errors} for row in q.items}
        for row_number, rule in samples.BAD_ROW_CASES.items():
            assert rule in rules[row_number], (row_number, rules.get(row_number))
        # Every kind of 重错码 case is waiting for staff.
        kinds = {c.kind for c in subjects_service.list_cases(s, status="open", per_page=100).items}
        assert {
            "inner_check_mismatch",
            "code_multiple_names",
            "name_multiple_codes",
            "provisional_subject",
        } <= kinds
        # Late submissions are counted in the providers' metrics.
        late = sum(ingest_service.provider_metrics(s, p.code).rows_late for p in summary.providers)
        assert late == summary.rows_late
        submissions = ingest_service.list_submissions(s, per_page=1).total

    # The tour's keys work: the credit office sees the governance queue, a provider its quarantine.
    assert summary.staff_key
    cases = client.get("/api/v1/governance/cases", headers={"X-Api-Key": summary.staff_key})
    assert cases.status_code == 200 and cases.json()["total"] >= 4
    jj_key = next(p.api_key for p in summary.providers if p.code == samples.BAD_ROWS_PROVIDER)
    rows = client.get(f"/api/v1/submissions/{summary.bad_rows_submission_id}", headers={"X-Api-Key": jj_key})
    assert rows.status_code == 200 and rows.json()["rows_rejected"] == len(samples.BAD_ROW_CASES)

    # One portal account per role (accounts domain), the same ones when built again.
    assert sorted(a.role for a in summary.accounts) == sorted(ACCOUNT_ROLES)

    again = build_demo(db, subjects=200, seed=2026, out_dir=tmp_path / "samples")
    assert again.already_built
    assert [a.username for a in again.accounts] == [a.username for a in summary.accounts]
    with db.session() as s:
        assert ingest_service.list_submissions(s, per_page=1).total == submissions


def test_refuses_a_store_with_other_subjects(db: Database, tmp_path: Path) -> None:
    with db.session() as s:
        code = make_uscc("9", "1", "330106", "MA2H0K7Q")
        subjects_service.create_subject(s, kind="enterprise", name="杭州启明科技有限公司", uscc=code)
    with pytest.raises(Conflict) as err:
        build_demo(db, subjects=60, seed=1, out_dir=tmp_path)
    assert err.value.code == "demo.store_not_empty"


def test_cli_build_prints_keys_and_tour(db: Database, tmp_path: Path) -> None:
    if db.dialect != "sqlite":
        pytest.skip("the CLI is the same on every store; the build itself is tested on each above")
    runner = CliRunner()
    out = tmp_path / "samples"
    result = runner.invoke(app, ["demo", "build", "--subjects", "60", "--seed", "11", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "TZ-SCJG" in result.output and "xy_" in result.output
    assert "/api/v1/quarantine" in result.output and "xinyong ingest" in result.output
    again = runner.invoke(app, ["demo", "build", "--subjects", "60", "--seed", "11", "--out", str(out)])
    assert again.exit_code == 0 and "已构建" in again.output
