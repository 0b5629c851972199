"""The demo city generator: deterministic, realistic, valid, streaming."""

from __future__ import annotations

import io
import time
from collections import Counter
from itertools import islice
from pathlib import Path

import pytest

from xinyong.catalog.service import get_catalog
from xinyong.core.identifiers import check_ric, check_uscc
from xinyong.demo import samples
from xinyong.demo.generator import (
    ITEM_HEADERS,
    LICENCE,
    PENALTY,
    is_workday,
    iter_records,
    iter_subjects,
    load_city,
)
from xinyong.ingest.parsing import open_table

SERIOUS = {"吊销许可证件", "责令停产停业", "责令关闭", "限制从业"}


@pytest.fixture(scope="module")
def city2000() -> tuple[list, list]:
    subjects = list(iter_subjects(2026, 2000))
    records = list(iter_records(2026, 2000))
    return subjects, records


def test_same_seed_same_city_different_seed_different() -> None:
    assert list(iter_subjects(7, 300)) == list(iter_subjects(7, 300))
    assert list(iter_records(7, 300)) == list(iter_records(7, 300))
    other = list(iter_subjects(8, 300))
    assert [s.name for s in other] != [s.name for s in iter_subjects(7, 300)]
    # A bigger city starts with the smaller one.
    assert list(iter_subjects(7, 500))[:300] == list(iter_subjects(7, 300))


def test_real_taizhou_divisions_and_thirty_departments() -> None:
    city = load_city()
    assert city.code == "331000"
    assert {d.code: d.name for d in city.divisions} == {
        "331002": "椒江区",
        "331003": "黄岩区",
        "331004": "路桥区",
        "331022": "三门县",
        "331023": "天台县",
        "331024": "仙居县",
        "331081": "温岭市",
        "331082": "临海市",
        "331083": "玉环市",
    }
    assert 28 <= len(city.departments) <= 40
    names = {d.name for d in city.departments}
    assert {"台州市市场监督管理局", "台州市中级人民法院", "台州市市场监督管理局椒江分局"} <= names
    catalog = get_catalog()
    for d in city.departments:
        assert check_uscc(d.uscc).valid
        for item in d.items:
            catalog.item(item)  # every item a department submits is in the default catalog


def test_every_code_validates_and_is_unique(city2000: tuple[list, list]) -> None:
    subjects, _ = city2000
    usccs = [s.uscc for s in subjects if s.uscc]
    ids = [s.id_number for s in subjects if s.id_number]
    assert len(set(usccs)) == len(usccs) and len(set(ids)) == len(ids)
    mismatches = []
    for code in usccs:
        res = check_uscc(code)
        assert res.valid, (code, res.error)
        if res.inner_check == "mismatch":
            mismatches.append(code)
    assert mismatches == [s.uscc for s in subjects if s.planted == "inner_check_mismatch"]
    assert len(mismatches) == 1
    for number in ids:
        assert check_ric(number).valid, number
    names = [s.name for s in subjects if s.kind != "natural_person"]
    assert len(set(names)) == len(names)
    # Authorities beyond 工商: 民政 5, 机构编制 1, 农村集体 N, 其他 Y, and 9-2 / 9-3.
    prefixes = {c[:2] for c in usccs}
    assert {"91", "92", "93"} <= prefixes
    assert {c[0] for c in usccs} >= {"1", "5", "9", "N"}


def test_persons_birth_dates_fit_their_region_code(city2000: tuple[list, list]) -> None:
    subjects, _ = city2000
    established = {d.code: d.established for d in load_city().divisions} | {"331021": 1994}
    for s in subjects:
        if s.kind != "natural_person":
            continue
        region, born = s.id_number[:6], int(s.id_number[6:10])
        # The first card (age 16) was issued when the region code existed.
        assert born + 16 >= established[region], s.id_number
        if region == "331083":
            assert born + 16 >= 2017


def test_subjects_look_like_a_city(city2000: tuple[list, list]) -> None:
    subjects, _ = city2000
    kinds = Counter(s.kind for s in subjects)
    assert kinds["enterprise"] > kinds["natural_person"] > 0
    assert kinds["individual_business"] > 0 and kinds["organisation"] > 0
    companies = [s for s in subjects if s.kind == "enterprise"]
    assert all(s.industry and s.registered_on and s.status for s in companies)
    assert any(s.former_names for s in companies)
    assert any(s.name.startswith("台州市椒江区") and s.name.endswith("有限公司") for s in companies)
    by_key = {s.key: s for s in subjects}
    reps = [r for s in subjects for r in s.relations if r.role == "legal_representative"]
    assert reps
    for r in reps:
        person, company = by_key[r.related_key], by_key[r.subject_key]
        assert person.kind == "natural_person" and company.legal_representative == person.name


def test_records_have_realistic_skew(city2000: tuple[list, list]) -> None:
    subjects, records = city2000
    items = Counter(r.item for r in records)
    assert items[LICENCE] > items[PENALTY] > 0
    assert {"dishonest_judgment_debtor", "honour", "sector_rating", "credit_commitment"} <= set(items)
    orgs = [s for s in subjects if s.kind != "natural_person"]
    penalised = {r.subject_key for r in records if r.item == PENALTY}
    share = len([s for s in orgs if s.key in penalised]) / len(orgs)
    assert 0.08 < share < 0.25  # most subjects are clean
    penalties = [r for r in records if r.item == PENALTY and r.operation == "add"]
    serious = [r for r in penalties if SERIOUS & set(r.values["CF_CFLB"].split(";"))]
    assert 0 < len(serious) < 0.06 * len(penalties)  # serious ones are rare
    city = load_city()
    assert all(city.start <= r.decision_date <= r.received_on <= city.as_of for r in records)
    on_workdays = sum(is_workday(r.decision_date) for r in records) / len(records)
    assert on_workdays > 0.95
    ops = Counter(r.operation for r in records)
    assert ops["correct"] > 0 and ops["withdraw"] > 0 and ops["add"] > 0.98 * len(records)
    assert 0 < sum(r.late for r in records) < 0.1 * len(records)
    assert any(r.values.get("rating") == "A" for r in records)
    # Every header the generator writes is one the catalog understands.
    catalog = get_catalog()
    for r in records[:300]:
        assert set(r.values) <= set(ITEM_HEADERS[r.item])
        for header in r.values:
            assert catalog.resolve_header(r.item, header), (r.item, header)


def test_planted_code_errors(city2000: tuple[list, list]) -> None:
    subjects, records = city2000
    known = {s.uscc: s.name for s in subjects if s.uscc}
    names = {s.name: s.uscc for s in subjects if s.uscc}
    unknown = [r for r in records if r.subject_key is None]
    code_two_names = [r for r in unknown if r.values["XK_XDR_SHXYM"] in known]
    name_two_codes = [r for r in unknown if r.values["XK_XDR_MC"] in names]
    outsiders = [r for r in unknown if r.values["XK_XDR_SHXYM"] not in known]
    assert (
        len(code_two_names) == 1
        and known[code_two_names[0].values["XK_XDR_SHXYM"]] != code_two_names[0].values["XK_XDR_MC"]
    )
    assert (
        len(name_two_codes) == 1
        and names[name_two_codes[0].values["XK_XDR_MC"]] != name_two_codes[0].values["XK_XDR_SHXYM"]
    )
    assert len(outsiders) >= 4
    assert all(check_uscc(r.values["XK_XDR_SHXYM"]).valid for r in unknown)


def test_a_million_subjects_stream() -> None:
    started = time.monotonic()
    first = list(islice(iter_subjects(2026, 1_000_000), 50))
    records = list(islice(iter_records(2026, 1_000_000), 50))
    assert len(first) == 50 and len(records) == 50
    assert time.monotonic() - started < 5  # nothing is materialised up front


def test_sample_files_are_byte_for_byte_deterministic(tmp_path: Path) -> None:
    a = samples.write_samples(2026, 300, tmp_path / "a")
    b = samples.write_samples(2026, 300, tmp_path / "b")
    c = samples.write_samples(2027, 300, tmp_path / "c")
    assert [p.name for p in a] == [p.name for p in b] == [s.filename for s in samples.SAMPLES]
    for pa, pb, pc in zip(a, b, c, strict=True):
        assert pa.read_bytes() == pb.read_bytes()
        assert pa.read_bytes() != pc.read_bytes()


def _parse(path: Path, item: str) -> tuple[str | None, list[str], list[dict]]:
    catalog = get_catalog()
    with open(path, "rb") as fh:
        table = open_table(
            io.BytesIO(fh.read()),
            filename=path.name,
            resolve=lambda h: catalog.resolve_header(item, h),
            max_bytes=10**7,
        )
        rows = [r.values for r in table.rows]
        table.close()
    return table.encoding, table.headers or [], rows


def test_gbk_sample_round_trips_through_the_ingest_parser(tmp_path: Path) -> None:
    path = samples.write_samples(2026, 300, tmp_path)[0]
    raw = path.read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    encoding, headers, rows = _parse(path, PENALTY)
    assert encoding in ("gbk", "gb18030")
    catalog = get_catalog()
    assert all(catalog.resolve_header(PENALTY, h) for h in headers)
    text_rows = raw.decode("gbk").splitlines()
    assert len(rows) == len(text_rows) - 1 > 20
    assert rows[0]["CF_XDR_MC"] == text_rows[1].split(",")[1]
    assert any(r["CF_XDR_LB"] == "自然人" for r in rows)


def test_old_edition_and_xlsx_samples_resolve_every_header(tmp_path: Path) -> None:
    paths = {p.name: p for p in samples.write_samples(2026, 300, tmp_path)}
    catalog = get_catalog()
    _, headers, rows = _parse(paths[samples.OLD_EDITION], PENALTY)
    assert "CF_CFLB1" in headers and "行政相对人代码_1(统一社会信用代码)" in headers
    assert all(catalog.resolve_header(PENALTY, h) for h in headers) and rows
    _, headers, rows = _parse(paths[samples.LICENCES_XLSX], LICENCE)
    assert "行政相对人名称" in headers  # the title row above the headers is skipped
    assert all(catalog.resolve_header(LICENCE, h) for h in headers) and len(rows) == 20
