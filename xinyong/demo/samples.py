"""Sample upload files of the demo city, as departments really send them.

* ``penalties_cf_gbk.csv``: the current national 双公示 edition (CF_ field codes), GBK-encoded,
  mixed date spellings, from 台州市市场监督管理局.
* ``penalties_old_edition.csv``: the pre-2019 edition's columns (CF_CFMC, CF_CFLB1/2, CF_JG,
  CF_XZJG, 行政相对人代码_1(统一社会信用代码) ...), UTF-8 with BOM, from 台州市生态环境局.
* ``licences_xk.xlsx``: licences with Chinese headers under a title row, real Excel dates.
* ``bad_rows_penalties.csv``: penalties with the mistakes real files carry (invalid USCC, the
  ``00000000000000000X`` placeholder, unparsable and future dates, a negative fine, a repeated
  文书号, an unknown 处罚类别, a missing 违法事实) next to good rows; ``xinyong demo build`` ingests
  it so the quarantine is not empty.

Same seed and size → the same bytes (fixed timestamps inside the XLSX too).
"""

from __future__ import annotations

import csv
import hashlib
import io
import random
import re
import zipfile
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from openpyxl import Workbook

from xinyong.demo.generator import (
    LICENCE,
    PENALTY,
    City,
    Department,
    SubjectSpec,
    _RecordFactory,
    add_workdays,
    iter_subjects,
    load_city,
)

GBK_PENALTIES = "penalties_cf_gbk.csv"
OLD_EDITION = "penalties_old_edition.csv"
LICENCES_XLSX = "licences_xk.xlsx"
BAD_ROWS = "bad_rows_penalties.csv"
BAD_ROWS_PROVIDER = "TZ-SCJG-JJ"
BAD_ROWS_ITEM = PENALTY
# Samples draw their subjects from the first subjects of the city (any city size).
_SAMPLE_POOL = 300
_FIXED_ZIP_TIME = (2026, 1, 1, 0, 0, 0)


@dataclass(frozen=True)
class Sample:
    filename: str
    provider: str
    item: str
    description_zh: str


SAMPLES = (
    Sample(GBK_PENALTIES, "TZ-SCJG", PENALTY, "行政处罚（国家双公示现行字段代码 CF_，GBK 编码 CSV）"),
    Sample(OLD_EDITION, "TZ-STHJ", PENALTY, "行政处罚（2019 年前旧版字段，UTF-8 CSV）"),
    Sample(LICENCES_XLSX, "TZ-SCJG", LICENCE, "行政许可（中文表头 Excel，首行为标题）"),
    Sample(BAD_ROWS, BAD_ROWS_PROVIDER, BAD_ROWS_ITEM, "含错误行的行政处罚文件（演示隔离区）"),
)


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _pool(seed: int, n: int) -> list[SubjectSpec]:
    return [
        s for s in iter_subjects(seed, min(n, _SAMPLE_POOL)) if s.planted is None and "分公司" not in s.name
    ]


def _organisations(pool: list[SubjectSpec]) -> list[SubjectSpec]:
    return [s for s in pool if s.kind in ("enterprise", "individual_business")]


def _recent_workdays(as_of: date, count: int) -> list[date]:
    """The ``count`` working days ending at ``as_of`` (newest last)."""
    days: list[date] = []
    d = as_of
    while len(days) < count:
        if add_workdays(d - timedelta(days=1), 1) == d:
            days.append(d)
        d -= timedelta(days=1)
    return days[::-1]


def _sample_setup(
    seed: int, name: str, department: str
) -> tuple[City, _RecordFactory, random.Random, Department, list[date]]:
    """What every sample starts from: the city, its record factory, the sample's own random
    stream, the sending department and the last week's working days."""
    city = load_city()
    rng = random.Random(f"{seed}/sample/{name}")
    return city, _RecordFactory(seed), rng, city.department(department), _recent_workdays(city.as_of, 5)


def _csv_bytes(header: list[str], rows: list[dict[str, str]], encoding: str) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")  # Excel and most department systems write CRLF
    w.writerow(header)
    for r in rows:
        w.writerow([r.get(h, "") for h in header])
    return buf.getvalue().encode(encoding)


_CF_HEADER = [
    "CF_WSH", "CF_XDR_MC", "CF_XDR_LB", "CF_XDR_SHXYM", "CF_FRDB", "CF_XDR_ZJLX", "CF_XDR_ZJHM",
    "CF_WFXW", "CF_SY", "CF_YJ", "CF_CFLB", "CF_NR", "CF_NR_FK", "CF_NR_WFFF", "CF_NR_ZKDX",
    "CF_JDRQ", "CF_YXQ", "CF_GSJZQ", "CF_CFJG", "CF_CFJGDM", "CF_SJLY", "CF_SJLYDM", "BZ",
]  # fmt: skip


def _date_spellings(rng: random.Random, d: date) -> str:
    # Department exports mix these spellings, sometimes in one file.
    return rng.choice([d.isoformat(), f"{d.year}/{d.month}/{d.day}", f"{d:%Y%m%d}"])


def penalties_gbk_csv(seed: int, n: int) -> bytes:
    """This week's penalties of 台州市市场监督管理局, as its system exports them (GBK)."""
    _, f, rng, dept, days = _sample_setup(seed, "gbk", "TZ-SCJG")
    pool = _organisations(_pool(seed, n))
    people = [s for s in _pool(seed, n) if s.kind == "natural_person"]
    rows = []
    for i, s in enumerate(rng.sample(pool, min(24, len(pool))), start=1):
        decided = rng.choice(days)
        wsh = f"台市监罚决字〔{decided.year}〕{i:03d}号"
        v, categories = f.pick_violation(rng, "market_regulation")
        values = f.penalty_values(rng, s, dept, "market_regulation", v, categories, decided, wsh)
        values["CF_JDRQ"] = _date_spellings(rng, decided)
        rows.append(values)
    if people:
        # Natural persons' penalties are received (never displayed publicly).
        s = people[0]
        decided = days[-1]
        v = next(x for x in f.t["person_violations"] if x["role"] == "market_regulation")
        values = f.penalty_values(
            rng,
            s,
            dept,
            "market_regulation",
            v,
            list(v["categories"]),
            decided,
            f"台市监罚决字〔{decided.year}〕900号",
        )
        rows.append(values)
    return _csv_bytes(_CF_HEADER, rows, "gbk")


_OLD_HEADER = [
    "CF_WSH", "CF_CFMC", "CF_CFLB1", "CF_CFLB2", "CF_SY", "CF_YJ", "CF_JG", "CF_XDR_MC",
    "行政相对人代码_1(统一社会信用代码)", "CF_XDR_ZDM", "CF_XDR_GSDJ", "CF_FR", "CF_JDRQ", "CF_XZJG",
    "CF_ZT", "DFBM", "SJC",
]  # fmt: skip


def penalties_old_edition_csv(seed: int, n: int) -> bytes:
    """Penalties of 台州市生态环境局 from a system that still exports the pre-2019 columns."""
    _, f, rng, dept, days = _sample_setup(seed, "old", "TZ-STHJ")
    pool = [s for s in _organisations(_pool(seed, n)) if s.kind == "enterprise"]
    rows = []
    for i, s in enumerate(rng.sample(pool, min(12, len(pool))), start=1):
        decided = rng.choice(days)
        v, categories = f.pick_violation(rng, "environment")
        cur = f.penalty_values(rng, s, dept, "environment", v, categories, decided, "")
        uscc = s.uscc or ""
        rows.append(
            {
                "CF_WSH": f"台环罚〔{decided.year}〕{100 + i}号",
                "CF_CFMC": f"{s.name}{v['type']}案",
                "CF_CFLB1": categories[0],
                "CF_CFLB2": categories[1] if len(categories) > 1 else "",
                "CF_SY": cur["CF_SY"],
                "CF_YJ": cur["CF_YJ"],
                "CF_JG": cur["CF_NR"],
                "CF_XDR_MC": s.name,
                "行政相对人代码_1(统一社会信用代码)": uscc,
                # The old organisation code is characters 9-17 of the USCC, written 12345678-9.
                "CF_XDR_ZDM": f"{uscc[8:16]}-{uscc[16]}" if uscc else "",
                "CF_XDR_GSDJ": f"{s.division_code}{rng.randrange(10**8, 10**9)}",
                "CF_FR": s.legal_representative or "",
                "CF_JDRQ": decided.strftime("%Y/%m/%d"),
                "CF_XZJG": dept.name,
                "CF_ZT": "正常",
                "DFBM": s.division_code,
                "SJC": f"{decided:%Y-%m-%d} 16:{rng.randrange(60):02d}:{rng.randrange(60):02d}",
            }
        )
    return _csv_bytes(_OLD_HEADER, rows, "utf-8-sig")


_XK_HEADERS = [
    ("行政相对人名称", "XK_XDR_MC"),
    ("行政相对人类别", "XK_XDR_LB"),
    ("统一社会信用代码", "XK_XDR_SHXYM"),
    ("法定代表人", "XK_FRDB"),
    ("行政许可决定文书名称", "XK_XKWS"),
    ("行政许可决定文书号", "XK_WSH"),
    ("许可类别", "XK_XKLB"),
    ("许可证书名称", "XK_XKZS"),
    ("许可编号", "XK_XKBH"),
    ("许可内容", "XK_NR"),
    ("许可决定日期", "XK_JDRQ"),
    ("有效期自", "XK_YXQZ"),
    ("有效期至", "XK_YXQZI"),
    ("许可机关", "XK_XKJG"),
    ("许可机关统一社会信用代码", "XK_XKJGDM"),
    ("当前状态", "XK_ZT"),
    ("数据来源单位", "XK_LYDW"),
    ("数据来源单位统一社会信用代码", "XK_LYDWDM"),
    ("备注", "BZ"),
]
_LICENCE_CATEGORY_WORDS = {"01": "普通", "02": "特许", "03": "认可", "04": "核准", "05": "登记", "06": "其他"}


def licences_xlsx(seed: int, n: int) -> bytes:
    """Licences of 台州市市场监督管理局 as an Excel sheet with Chinese headers under a title."""
    city, f, rng, dept, days = _sample_setup(seed, "xlsx", "TZ-SCJG")
    kinds = f.licence_kinds("market_regulation")
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "行政许可"
    ws.append([f"{dept.name}行政许可信息（{city.as_of.year}年{city.as_of.month}月）"])
    # A stray space and full-width characters, as hand-edited sheets have.
    ws.append([h if h != "许可类别" else " 许可类别 " for h, _ in _XK_HEADERS])
    pool = _organisations(_pool(seed, n))
    for i, s in enumerate(rng.sample(pool, min(20, len(pool))), start=1):
        decided = rng.choice(days)
        lic = rng.choice(kinds)
        wsh = f"台市监许准字〔{decided.year}〕{i:03d}号"
        v = f.licence_values(s, dept, lic, decided, wsh, f"{lic['prefix']}{decided.year}9{i:04d}")
        row: list[object] = []
        for _, code in _XK_HEADERS:
            value = v.get(code, "")
            if code in ("XK_JDRQ", "XK_YXQZ", "XK_YXQZI") and value:
                row.append(datetime.fromisoformat(value))
            elif code == "XK_XKLB":
                row.append(_LICENCE_CATEGORY_WORDS.get(value, value))
            elif code == "XK_ZT":
                row.append("有效")
            else:
                row.append(value)
        ws.append(row)
    for cells in ws.iter_rows(min_row=3):
        for c in cells:
            if isinstance(c.value, datetime):
                c.number_format = "yyyy-mm-dd"
    fixed = datetime(*_FIXED_ZIP_TIME)
    wb.properties.created = fixed
    wb.properties.modified = fixed
    wb.properties.creator = dept.name
    buf = io.BytesIO()
    wb.save(buf)
    return _normalise_zip(buf.getvalue())


def _normalise_zip(data: bytes) -> bytes:
    """Rewrite a ZIP with fixed entry timestamps so the same workbook gives the same bytes."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=_FIXED_ZIP_TIME)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o600 << 16
            body = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                # openpyxl stamps "modified" with the wall clock on save, whatever was set.
                stamp = "{:04d}-{:02d}-{:02d}T{:02d}:{:02d}:{:02d}Z".format(*_FIXED_ZIP_TIME).encode()
                body = re.sub(
                    rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)",
                    rb"\g<1>" + stamp + rb"\g<2>",
                    body,
                )
            dst.writestr(fixed, body)
    return out.getvalue()


# What each bad row of the bad-rows sample demonstrates (row numbers count the header as 1).
BAD_ROW_CASES = {
    4: "uscc.check_char",
    5: "ingest.placeholder_code",
    6: "ingest.date_format",
    7: "ingest.future_date",
    8: "ingest.negative_amount",
    9: "ingest.duplicate_in_file",
    10: "ingest.enum",
    11: "ingest.required",
}


def bad_rows_csv(seed: int, n: int) -> bytes:
    """Penalties of 椒江分局 where most rows carry one mistake real files carry."""
    city, f, rng, dept, days = _sample_setup(seed, "bad", BAD_ROWS_PROVIDER)
    pool = _organisations(_pool(seed, n))
    picked = rng.sample(pool, min(11, len(pool)))
    rows = []
    for i, s in enumerate(picked, start=1):
        decided = rng.choice(days)
        v, categories = f.pick_violation(rng, "market_regulation")
        if "罚款" not in categories:
            categories = ["罚款"]
        rows.append(
            f.penalty_values(
                rng,
                s,
                dept,
                "market_regulation",
                v,
                categories,
                decided,
                f"椒市监罚决字〔{decided.year}〕{i:03d}号",
            )
        )
    # Rows 2-3 (file rows) stay good; then one mistake per row.
    bad = rows[2:10]
    u = bad[0]["CF_XDR_SHXYM"]
    bad[0]["CF_XDR_SHXYM"] = u[:-1] + ("0" if u[-1] != "0" else "1")  # check character wrong
    bad[1]["CF_XDR_SHXYM"] = "00000000000000000X"  # placeholder, never an identity
    bad[2]["CF_JDRQ"] = f"{city.as_of.year}-13-45"  # no such date
    bad[3]["CF_JDRQ"] = "2099-01-01"  # in the future
    bad[4]["CF_NR_FK"] = "-" + (bad[4]["CF_NR_FK"] or "1")  # negative fine
    bad[5]["CF_WSH"] = rows[0]["CF_WSH"]  # the same 文书号 twice in one file
    bad[6]["CF_CFLB"] = "罚金"  # a criminal penalty, not a 处罚类别
    bad[7]["CF_SY"] = ""  # 违法事实 is required
    return _csv_bytes(_CF_HEADER, rows, "utf-8")


def write_samples(seed: int, n: int, out_dir: Path) -> list[Path]:
    """Write the sample files (overwriting: they are derived data) and return their paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    made = {
        GBK_PENALTIES: penalties_gbk_csv(seed, n),
        OLD_EDITION: penalties_old_edition_csv(seed, n),
        LICENCES_XLSX: licences_xlsx(seed, n),
        BAD_ROWS: bad_rows_csv(seed, n),
    }
    paths = []
    for name, data in made.items():
        path = out_dir / name
        if not path.exists() or path.read_bytes() != data:
            path.write_bytes(data)
        paths.append(path)
    return paths
