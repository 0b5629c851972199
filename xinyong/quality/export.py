"""The month's scorecards as an XLSX workbook: the ranking, then every department's items."""

from __future__ import annotations

import io

from openpyxl import Workbook
from openpyxl.styles import Font

from xinyong.quality.scoring import Metrics
from xinyong.quality.views import Scorecard

_HEAD = [
    "报送行数",
    "时效性（7个工作日内）",
    "必填项完整率",
    "选填项填报率",
    "准确性",
    "被拒行数",
    "更正行数",
    "异议成立数",
    "重错码率（万分之）",
    "较上月报送量变化",
    "缺报月份数",
    "得分",
]


def _pct(v: float | None) -> str:
    return "—" if v is None else f"{v * 100:.2f}%"


def _cells(m: Metrics) -> list[object]:
    return [
        m.rows_total,
        _pct(m.timeliness),
        _pct(m.required_complete),
        _pct(m.optional_filled),
        _pct(m.accuracy),
        m.rows_rejected,
        m.rows_corrected,
        "未接入" if m.upheld_objections is None else m.upheld_objections,
        "—" if m.code_error_per_10000 is None else m.code_error_per_10000,
        _pct(m.volume_change),
        m.missing_months,
        m.score,
    ]


def scorecards_xlsx(cards: list[Scorecard], month: str) -> bytes:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "排名"
    ws.append([f"{month} 各信息提供单位数据质量评分"])
    ws["A1"].font = Font(bold=True)
    ws.append(["名次", "单位代码", "单位名称", *_HEAD])
    for c in cards:
        ws.append([c.rank, c.provider_code, c.provider_name, *_cells(c.metrics)])
    items = wb.create_sheet("目录项明细")
    items.append(["单位名称", "目录项", *_HEAD])
    for c in cards:
        for i in c.items:
            items.append([c.provider_name, i.item_name, *_cells(i.metrics)])
    for sheet in (ws, items):
        sheet.column_dimensions["B"].width = 24
        sheet.column_dimensions["C"].width = 30
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
