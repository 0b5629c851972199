"""Cells written into CSV or XLSX exports: text a spreadsheet would run as a formula is defused.

OWASP "CSV injection": a cell starting with ``=``, ``+``, ``-`` or ``@`` (or a tab or carriage
return before one) is evaluated by Excel and LibreOffice when the file is opened. Ingest stores
such values as the text they are; every export writes them through :func:`cell_text`, which puts
a single quote in front, so the spreadsheet shows the text and runs nothing.
"""

from __future__ import annotations

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def cell_text(value: str) -> str:
    """``value`` as an export cell: prefixed with ``'`` when it could start a formula."""
    return "'" + value if value.startswith(FORMULA_PREFIXES) else value
