"""An indicator as an XLSX workbook: its numbers in a table and the same chart as an Excel chart."""

from __future__ import annotations

import io

from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.styles import Font

from xinyong.monitoring.compute import IndicatorResult


def indicator_xlsx(result: IndicatorResult, subtitle: str = "") -> bytes:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = result.code[:31]
    ws.append([result.name_zh])
    ws["A1"].font = Font(bold=True, size=13)
    ws.append([subtitle or ""])
    ws.append([f"单位：{result.unit or '—'}", f"来源：{result.source}"])
    header_row = 4
    if result.series:
        ws.append(["类别/月份", *[s.name for s in result.series]])
        for i, c in enumerate(result.categories):
            ws.append([c, *[s.values[i] for s in result.series]])
        rows = len(result.categories)
        if rows:
            chart = BarChart()
            chart.title = result.name_zh
            chart.y_axis.title = result.unit
            data = Reference(
                ws, min_col=2, max_col=1 + len(result.series), min_row=header_row, max_row=header_row + rows
            )
            cats = Reference(ws, min_col=1, min_row=header_row + 1, max_row=header_row + rows)
            chart.add_data(data, titles_from_data=True)
            chart.set_categories(cats)
            chart.width, chart.height = 24, 12
            ws.add_chart(chart, f"{chr(ord('B') + len(result.series) + 1)}{header_row}")
    else:
        ws.append(["指标值", result.value])
    if result.target_min is not None or result.target_max is not None:
        ws.append([])
        ws.append(
            ["目标", f"≥ {result.target_min}" if result.target_min is not None else f"≤ {result.target_max}"]
        )
        ws.append(
            [
                "是否达标",
                "—" if result.meets_target is None else ("达标" if result.meets_target else "未达标"),
            ]
        )
    ws.column_dimensions["A"].width = 26
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
