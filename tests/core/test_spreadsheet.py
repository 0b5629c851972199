"""OWASP CSV injection: export cells that a spreadsheet would run as formulas are defused."""

from __future__ import annotations

import pytest

from xinyong.core.spreadsheet import cell_text


@pytest.mark.parametrize(
    "value", ['=HYPERLINK("http://x","点我")', "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1"]
)
def test_formula_like_cells_are_quoted(value: str) -> None:
    assert cell_text(value) == "'" + value


@pytest.mark.parametrize("value", ["台州市", "2025-09-30", "0.5", "", "a=b"])
def test_other_cells_are_unchanged(value: str) -> None:
    assert cell_text(value) == value
