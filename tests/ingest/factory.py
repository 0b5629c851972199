"""Real-format 双公示 rows and files for the ingest tests (national field codes, both editions,
Chinese headers as departments' Excel exports write them)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from typing import Any

import openpyxl

from xinyong.core.identifiers import make_ric, make_uscc, org_code_check_char, uscc_check_char

LICENCE = "administrative_licence"
PENALTY = "administrative_penalty"

# 2025-10-10 10:00 in China: receipts in the tests are pinned so timeliness is deterministic.
RECEIVED_AT = datetime(2025, 10, 10, 2, 0, tzinfo=UTC)
RECEIVED_ON = date(2025, 10, 10)


def uscc(n: int, division: str = "331002") -> str:
    """A valid enterprise USCC (authority 9, type 1) with an organisation code derived from n."""
    return make_uscc("9", "1", division, f"MA2K{n:04d}")


def uscc_inner_mismatch(n: int) -> str:
    """Passes the GB 32100 check but the embedded GB 11714 check character is wrong (错码)."""
    good = uscc(n)
    right = org_code_check_char(good[8:16])
    wrong = "1" if right != "1" else "2"
    first17 = good[:16] + wrong
    return first17 + uscc_check_char(first17)


def ric(n: int) -> str:
    return make_ric("331002", date(1980, 5, 17), n % 1000)


def penalty_row(i: int, **over: Any) -> dict[str, Any]:
    """A penalty in the current (2019) CF_ edition."""
    row: dict[str, Any] = {
        "CF_XDR_MC": f"台州市椒江区鑫达{i}号机械制造有限公司",
        "CF_XDR_LB": "法人及非法人组织",
        "CF_XDR_SHXYM": uscc(i),
        "CF_FRDB": "王建国",
        "CF_WSH": f"台椒市监处罚〔2025〕{i}号",
        "CF_WFXW": "未按规定公示年度报告",
        "CF_SY": "当事人未按规定期限公示2024年度报告。",
        "CF_YJ": "《企业信息公示暂行条例》第十八条",
        "CF_CFLB": "罚款",
        "CF_NR": "罚款人民币伍仟元",
        "CF_NR_FK": "0.5",
        "CF_JDRQ": "2025-09-30",
        "CF_CFJG": "台州市椒江区市场监督管理局",
    }
    row.update(over)
    return row


def old_penalty_row(i: int, **over: Any) -> dict[str, Any]:
    """A penalty in the pre-2019 edition some systems still export."""
    row: dict[str, Any] = {
        "CF_WSH": f"台路环罚〔2018〕{i}号",
        "CF_CFMC": "超标排放大气污染物",
        "CF_CFLB1": "罚款",
        "CF_CFLB2": "警告",
        "CF_SY": "废气排放超标",
        "CF_YJ": "《中华人民共和国大气污染防治法》第九十九条",
        "CF_XDR_MC": f"台州市路桥区旧版{i}号塑料厂",
        "行政相对人代码_1(统一社会信用代码)": uscc(5000 + i, "331004"),
        "CF_FR": "李四",
        "CF_JG": "罚款人民币贰万元，警告",
        "CF_JDRQ": "2025/9/29",
        "CF_XZJG": "台州市生态环境局路桥分局",
        "CF_ZT": "1",
        "DFBM": "331004",
        "SJC": "2025-09-29 10:00:00",
    }
    row.update(over)
    return row


def licence_row(i: int, **over: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "XK_XDR_MC": f"台州市黄岩区许可{i}号食品店",
        "XK_XDR_LB": "法人及非法人组织",
        "XK_XDR_SHXYM": uscc(9000 + i, "331003"),
        "XK_FRDB": "张三",
        "XK_XKWS": "准予行政许可决定书",
        "XK_WSH": f"台黄市监许〔2025〕{i}号",
        "XK_XKLB": "普通",
        "XK_XKZS": "食品经营许可证",
        "XK_XKBH": f"JY1331003{i:07d}",
        "XK_NR": "预包装食品销售（含冷藏冷冻食品）",
        "XK_JDRQ": "2025-09-30",
        "XK_YXQZ": "2025-09-30",
        "XK_YXQZI": "2030-09-29",
        "XK_XKJG": "台州市黄岩区市场监督管理局",
    }
    row.update(over)
    return row


def chinese_penalty_row(i: int) -> dict[str, Any]:
    """Chinese headers as real Excel exports write them: full-width brackets, stray spaces."""
    return {
        " 行政相对人名称 ": f"台州市椒江区中文{i}号贸易有限公司",
        "行政相对人类别": "法人及非法人组织",
        "行政相对人代码_1（统一社会信用代码）": uscc(7000 + i),
        "法定代表人\u3000": "赵六",
        "行政处罚决定书文号": f"台椒应急罚〔2025〕{i}号",
        "违法事实": "未按规定开展安全生产教育培训",
        "处罚依据": "《中华人民共和国安全生产法》第九十七条",
        "处罚类别": "罚款",
        "处罚内容": "罚款人民币壹万元",
        "罚款金额（万元）": "１.０",
        "处罚决定日期": "2025年9月30日",
        "处罚机关": "台州市椒江区应急管理局",
    }


def to_csv(rows: list[dict[str, Any]], encoding: str = "utf-8", titles: tuple[str, ...] = ()) -> bytes:
    headers: list[str] = []
    for r in rows:
        for h in r:
            if h not in headers:
                headers.append(h)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    for t in titles:
        w.writerow([t])
    w.writerow(headers)
    for r in rows:
        w.writerow(["" if r.get(h) is None else r.get(h) for h in headers])
    return buf.getvalue().encode(encoding)


def to_xlsx(rows: list[dict[str, Any]], titles: tuple[str, ...] = ()) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "行政处罚"
    for t in titles:
        ws.append([t])
    headers = list(rows[0])
    ws.append(headers)
    for r in rows:
        ws.append([r.get(h) for h in headers])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def excel_serial(d: date) -> int:
    return (d - date(1899, 12, 30)).days
