"""Reading what providers send: CSV (UTF-8 with/without BOM, or GBK/GB18030), XLSX, JSONL and the
JSON API batch.

Rows are streamed: a file is read once to detect its encoding, size and hash (chunk by chunk) and
once more to yield rows, so a big file is never held twice in memory. Each row is a ``RawRow``:
its number as the provider sees it (sheet row, CSV record, JSONL line, batch position) and the
values under their ORIGINAL headers; mapping headers to catalog fields is the validator's job.
File-level problems raise ``InvalidInput``/``TooLarge`` with an ``ingest.*`` code.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import json
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

from xinyong.core.errors import InvalidInput, TooLarge
from xinyong.core.settings import get_settings

HeaderResolver = Callable[[str], str | None]

FORMATS = ("csv", "xlsx", "jsonl", "json")
_CHUNK = 1 << 20
# How many leading rows may be titles above the header row of a sheet or CSV.
_HEADER_SCAN_ROWS = 15
_CSV_DELIMITERS = (",", "\t", ";", "|")

csv.field_size_limit(16 * 1024 * 1024)


@dataclass
class RawRow:
    number: int  # as the provider sees it: sheet row / CSV record / JSONL line / batch position
    values: dict[str, Any]  # original header -> JSON-safe raw value
    # A row that could not even be read (a malformed JSONL line): rejected with this error.
    error: dict[str, Any] | None = None


@dataclass
class Table:
    """An opened submission: metadata now, rows streamed from ``rows``."""

    format: str
    rows: Iterator[RawRow]
    # Header row for CSV/XLSX; None for JSON shapes, whose keys may differ from row to row.
    headers: list[str] | None = None
    encoding: str | None = None
    content_hash: str | None = None
    size_bytes: int | None = None
    estimated_rows: int | None = None
    _closers: list[Callable[[], None]] = field(default_factory=list)

    def close(self) -> None:
        for closer in self._closers:
            closer()
        self._closers.clear()


def file_error(code: str, message: str, message_zh: str, **details: Any) -> InvalidInput:
    return InvalidInput(message, message_zh, code=code, **details)


def too_large(size: int, limit: int) -> TooLarge:
    return TooLarge(
        f"The file is larger than the limit of {limit} bytes",
        f"文件大小超过上限（{limit} 字节）",
        code="ingest.file_too_large",
        size=size,
        limit=limit,
    )


def detect_format(filename: str | None, head: bytes) -> str:
    """The format from the file name, else from the first bytes."""
    suffix = Path(filename or "").suffix.lower()
    by_suffix = {
        ".csv": "csv",
        ".txt": "csv",
        ".xlsx": "xlsx",
        ".xlsm": "xlsx",
        ".jsonl": "jsonl",
        ".ndjson": "jsonl",
        ".json": "json",
    }
    if suffix in by_suffix:
        return by_suffix[suffix]
    if suffix == ".xls":
        raise file_error(
            "ingest.unsupported_format",
            "Legacy .xls files are not supported; save as .xlsx or CSV",
            "不支持旧版 .xls 文件，请另存为 .xlsx 或 CSV 后再上传",
            filename=filename,
        )
    if head.startswith(b"PK\x03\x04"):
        return "xlsx"
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if stripped.startswith(b"{"):
        return "jsonl"
    if stripped.startswith(b"["):
        return "json"
    return "csv"


def json_safe(value: Any) -> Any:
    """A raw cell as a JSON-safe value (quarantine keeps rows as received)."""
    if value is None or isinstance(value, str | bool | int | float):
        return value
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat(sep=" ")
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    return str(value)


def _is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _scan(stream: IO[bytes], max_bytes: int) -> tuple[str, str, int, int]:
    """One pass over the bytes: (encoding, sha256, size, newline count). Raises on size/encoding."""
    stream.seek(0)
    utf8 = codecs.getincrementaldecoder("utf-8")()
    gb = codecs.getincrementaldecoder("gb18030")()
    utf8_ok = gb_ok = True
    digest = hashlib.sha256()
    size = lines = 0
    first = b""
    while chunk := stream.read(_CHUNK):
        size += len(chunk)
        if size > max_bytes:
            raise too_large(size, max_bytes)
        if not first:
            first = chunk[:3]
        digest.update(chunk)
        lines += chunk.count(b"\n")
        # Both decoders run in the same pass so a GBK file needs no extra read.
        if utf8_ok:
            try:
                utf8.decode(chunk)
            except UnicodeDecodeError:
                utf8_ok = False
        if gb_ok:
            try:
                gb.decode(chunk)
            except UnicodeDecodeError:
                gb_ok = False
    for ok, dec in ((utf8_ok, utf8), (gb_ok, gb)):
        if ok:
            try:
                dec.decode(b"", final=True)
            except UnicodeDecodeError:
                if dec is utf8:
                    utf8_ok = False
                else:
                    gb_ok = False
    stream.seek(0)
    if utf8_ok:
        encoding = "utf-8-sig" if first.startswith(codecs.BOM_UTF8) else "utf-8"
    elif gb_ok:
        encoding = "gb18030"
    else:
        raise file_error(
            "ingest.encoding",
            "The file is neither UTF-8 nor GBK/GB18030 text",
            "文件编码无法识别：请使用 UTF-8 或 GBK/GB18030 编码保存",
        )
    return encoding, digest.hexdigest(), size, lines


def _header_index(rows: list[list[Any]], resolve: HeaderResolver) -> int:
    """The row (among the first few) where most cells resolve as headers; title rows come before it."""
    best, best_score = -1, 0
    for i, row in enumerate(rows):
        score = sum(1 for cell in row if isinstance(cell, str) and cell.strip() and resolve(cell))
        if score > best_score:
            best, best_score = i, score
    if best >= 0:
        return best
    # Nothing resolves: take the first non-empty row so the caller reports the missing columns.
    for i, row in enumerate(rows):
        if any(not _is_blank(c) for c in row):
            return i
    return 0


def _header_names(row: list[Any]) -> list[str]:
    names: list[str] = []
    seen: dict[str, int] = {}
    for i, cell in enumerate(row):
        name = "" if cell is None else str(cell).strip()
        if not name:
            name = f"#{i + 1}"  # an unnamed column keeps a position-based name
        if name in seen:
            seen[name] += 1
            name = f"{name}#{seen[name]}"
        else:
            seen[name] = 1
        names.append(name)
    return names


def _tabular_rows(
    source: Iterator[tuple[int, list[Any]]], resolve: HeaderResolver, *, text: bool = False
) -> tuple[list[str], Iterator[RawRow]]:
    """Find the header row in a stream of (row number, cells) and stream the data rows.
    ``text``: every cell is a str (CSV), already JSON-safe."""
    head: list[tuple[int, list[Any]]] = []
    for numbered in source:
        head.append(numbered)
        if len(head) >= _HEADER_SCAN_ROWS:
            break
    if not any(any(not _is_blank(c) for c in cells) for _, cells in head):
        raise file_error("ingest.empty_file", "The file has no rows", "文件为空，没有任何数据行")
    idx = _header_index([cells for _, cells in head], resolve)
    headers = _header_names(head[idx][1])

    def rows() -> Iterator[RawRow]:
        width = len(headers)
        for number, cells in _chain(head[idx + 1 :], source):
            if text and len(cells) <= width:
                if "".join(cells).strip():
                    yield RawRow(number, dict(zip(headers, cells, strict=False)))
                continue  # blank spacer rows carry no data
            if all(_is_blank(c) for c in cells):
                continue
            values: dict[str, Any] = {}
            for i, cell in enumerate(cells):
                if i < width:
                    values[headers[i]] = json_safe(cell)
                elif not _is_blank(cell):
                    values[f"#{i + 1}"] = json_safe(cell)  # a cell beyond the header row
            yield RawRow(number, values)

    return headers, rows()


def _chain(
    first: list[tuple[int, list[Any]]], rest: Iterator[tuple[int, list[Any]]]
) -> Iterator[tuple[int, list[Any]]]:
    yield from first
    yield from rest


def _detach(text: io.TextIOWrapper) -> None:
    text.detach()


def _pick_delimiter(sample: str) -> str:
    line = sample.split("\n", 1)[0]
    counts = {d: line.count(d) for d in _CSV_DELIMITERS}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def open_csv(stream: IO[bytes], resolve: HeaderResolver, max_bytes: int) -> Table:
    encoding, digest, size, lines = _scan(stream, max_bytes)
    if size == 0:
        raise file_error("ingest.empty_file", "The file is empty", "文件为空")
    text = io.TextIOWrapper(stream, encoding=encoding, newline="")
    sample = text.read(64 * 1024)
    text.seek(0)
    # Title rows above the header may hold no delimiter at all: look at the first line that has one.
    sample_lines = [ln for ln in sample.splitlines() if any(d in ln for d in _CSV_DELIMITERS)]
    delimiter = _pick_delimiter(sample_lines[0] if sample_lines else sample)
    reader = csv.reader(text, delimiter=delimiter)

    def numbered() -> Iterator[tuple[int, list[Any]]]:
        try:
            yield from enumerate(reader, start=1)  # a new list per record already
        except csv.Error as exc:
            raise file_error(
                "ingest.bad_format",
                f"The CSV file is malformed near line {reader.line_num}: {exc}",
                f"CSV 文件格式错误（约第 {reader.line_num} 行）",
                line=reader.line_num,
            ) from exc

    headers, rows = _tabular_rows(numbered(), resolve, text=True)
    table = Table(
        format="csv",
        rows=rows,
        headers=headers,
        encoding=encoding,
        content_hash=digest,
        size_bytes=size,
        estimated_rows=max(lines - 1, 0),
    )
    table._closers.append(lambda: _detach(text))  # leave the caller's stream open
    return table


def open_xlsx(stream: IO[bytes], resolve: HeaderResolver, max_bytes: int) -> Table:
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    digest = hashlib.sha256()
    size = 0
    stream.seek(0)
    while chunk := stream.read(_CHUNK):
        size += len(chunk)
        if size > max_bytes:
            raise too_large(size, max_bytes)
        digest.update(chunk)
    if size == 0:
        raise file_error("ingest.empty_file", "The file is empty", "文件为空")
    stream.seek(0)
    _check_xlsx_archive(stream, size)
    stream.seek(0)
    try:
        wb = openpyxl.load_workbook(stream, read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError) as exc:
        raise file_error(
            "ingest.bad_format", f"Not a readable XLSX workbook: {exc}", "无法读取该 Excel（.xlsx）文件"
        ) from exc
    if not wb.worksheets:
        wb.close()
        raise file_error("ingest.empty_file", "The workbook has no sheet", "工作簿中没有工作表")
    ws = wb.worksheets[0]

    max_cells = get_settings().max_xlsx_cells

    def numbered() -> Iterator[tuple[int, list[Any]]]:
        # The declared dimension may lie: the cells actually read are counted too.
        cells_read = 0
        for n, cells in enumerate(ws.iter_rows(values_only=True), start=1):
            cells_read += len(cells)
            if cells_read > max_cells:
                raise _too_many_cells(cells_read, max_cells)
            yield n, list(cells)

    try:
        headers, rows = _tabular_rows(numbered(), resolve)
    except BaseException:
        wb.close()
        raise
    max_row = getattr(ws, "max_row", None)
    table = Table(
        format="xlsx",
        rows=rows,
        headers=headers,
        content_hash=digest.hexdigest(),
        size_bytes=size,
        estimated_rows=max_row - 1 if isinstance(max_row, int) and max_row > 1 else None,
    )
    table._closers.append(wb.close)
    return table


_DIMENSION = re.compile(
    rb"<(?:\w+:)?dimension\s+ref=\"\$?([A-Z]{1,3})\$?(\d{1,9})(?::\$?([A-Z]{1,3})\$?(\d{1,9}))?\""
)


def _column_number(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + (ch - 64)
    return n


def _too_many_cells(cells: int, limit: int) -> TooLarge:
    return TooLarge(
        f"The sheet holds {cells} cells, more than the limit of {limit}; split the file",
        f"工作表单元格数（{cells}）超过上限 {limit}，请拆分后分批提交",
        code="ingest.too_many_cells",
        cells=cells,
        limit=limit,
    )


def _check_xlsx_archive(stream: IO[bytes], size: int) -> None:
    """Refuse a workbook by what its zip directory and its sheet's ``<dimension>`` declare, before
    openpyxl reads a byte of it: the unzipped size (absolute and against the file's size) and the
    declared rows and cells. Costs milliseconds whatever the file holds."""
    settings = get_settings()
    try:
        zf = zipfile.ZipFile(stream)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise file_error(
            "ingest.bad_format", f"Not a readable XLSX workbook: {exc}", "无法读取该 Excel（.xlsx）文件"
        ) from exc
    with zf:
        infos = zf.infolist()
        unzipped = sum(i.file_size for i in infos)
        ratio_limit = settings.max_xlsx_ratio * size
        if unzipped > settings.max_xlsx_unzipped_bytes or (unzipped > 10 << 20 and unzipped > ratio_limit):
            limit = min(settings.max_xlsx_unzipped_bytes, max(ratio_limit, 10 << 20))
            raise TooLarge(
                f"The workbook unzips to {unzipped} bytes, more than the limit of {limit}",
                f"该 Excel 文件解压后达 {unzipped} 字节，超过上限 {limit} 字节（疑似压缩炸弹或内容过大）",
                code="ingest.xlsx_unzipped_too_large",
                size=unzipped,
                limit=limit,
            )
        sheets = sorted(
            (i.filename for i in infos if re.fullmatch(r"xl/worksheets/sheet\d+\.xml", i.filename)),
            key=lambda name: int(re.sub(r"\D", "", name.rsplit("/", 1)[1]) or 0),
        )
        if not sheets:
            return
        with zf.open(sheets[0]) as fh:
            head = fh.read(64 * 1024)
    m = _DIMENSION.search(head)
    if m is None or m.group(3) is None:
        return
    rows = int(m.group(4)) - int(m.group(2)) + 1
    columns = _column_number(m.group(3)) - _column_number(m.group(1)) + 1
    max_rows = settings.max_rows_per_submission
    if rows - 1 > max_rows:
        raise file_error(
            "ingest.too_many_rows",
            f"The sheet declares {rows} rows, more than {max_rows} in one submission; split the file",
            f"工作表声明有 {rows} 行，单次提交不能超过 {max_rows} 行，请拆分后分批提交",
            limit=max_rows,
            rows=rows,
        )
    if rows * columns > settings.max_xlsx_cells:
        raise _too_many_cells(rows * columns, settings.max_xlsx_cells)


_PLAIN_JSON = (str, int, float, bool, type(None))


def _row_from_json(number: int, obj: Any) -> RawRow:
    if isinstance(obj, dict):
        # ``{str(k): json_safe(v)}``, with the usual cells (text, numbers) taken as they are.
        values: dict[str, Any] = {}
        for k, v in obj.items():
            values[k if type(k) is str else str(k)] = v if type(v) in _PLAIN_JSON else json_safe(v)
        return RawRow(number, values)
    return RawRow(
        number,
        {"_raw": json_safe(obj)},
        error={
            "rule": "ingest.bad_row",
            "message": "A row must be a JSON object of header: value",
            "message_zh": "每一行必须是“表头: 值”形式的 JSON 对象",
        },
    )


def open_jsonl(stream: IO[bytes], max_bytes: int) -> Table:
    encoding, digest, size, lines = _scan(stream, max_bytes)
    if size == 0:
        raise file_error("ingest.empty_file", "The file is empty", "文件为空")
    text = io.TextIOWrapper(stream, encoding=encoding, newline=None)

    def rows() -> Iterator[RawRow]:
        for n, line in enumerate(text, start=1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                yield RawRow(
                    n,
                    {"_raw": line.rstrip("\r\n")},
                    error={
                        "rule": "ingest.bad_json",
                        "message": f"Line {n} is not valid JSON: {exc.msg}",
                        "message_zh": f"第 {n} 行不是合法的 JSON",
                    },
                )
                continue
            yield _row_from_json(n, obj)

    table = Table(
        format="jsonl",
        rows=rows(),
        encoding=encoding,
        content_hash=digest,
        size_bytes=size,
        estimated_rows=lines or 1,
    )
    table._closers.append(lambda: _detach(text))
    return table


def open_json(stream: IO[bytes], max_bytes: int) -> Table:
    """A JSON file: an array of row objects, or the API batch shape ``{"item", "rows"}``."""
    encoding, digest, size, _ = _scan(stream, max_bytes)
    if size == 0:
        raise file_error("ingest.empty_file", "The file is empty", "文件为空")
    try:
        doc = json.loads(stream.read().decode(encoding))
    except json.JSONDecodeError as exc:
        raise file_error(
            "ingest.bad_json", f"Not valid JSON: {exc.msg} (line {exc.lineno})", "文件不是合法的 JSON"
        ) from exc
    rows = doc.get("rows") if isinstance(doc, dict) else doc
    if not isinstance(rows, list):
        raise file_error(
            "ingest.bad_json",
            'Expected a JSON array of rows or {"item": ..., "rows": [...]}',
            'JSON 内容应为数据行数组，或 {"item": ..., "rows": [...]}',
        )
    table = batch_table(rows)
    table.encoding, table.content_hash, table.size_bytes = encoding, digest, size
    return table


def batch_table(rows: Iterable[Mapping[str, Any] | Any]) -> Table:
    """Rows given in memory (the JSON API batch, or a caller of the service): numbered from 1."""
    estimated = len(rows) if isinstance(rows, list | tuple) else None

    def gen() -> Iterator[RawRow]:
        for n, obj in enumerate(rows, start=1):
            # _row_from_json copies a dict: only other mappings need converting first.
            yield _row_from_json(n, obj if type(obj) is dict or not isinstance(obj, Mapping) else dict(obj))

    return Table(format="json", rows=gen(), estimated_rows=estimated)


def open_table(
    stream: IO[bytes],
    *,
    filename: str | None,
    resolve: HeaderResolver,
    max_bytes: int,
    file_format: str | None = None,
) -> Table:
    """Open an uploaded or local file; ``resolve`` maps a raw header to a field code (or None)."""
    stream.seek(0)
    head = stream.read(16)
    stream.seek(0)
    fmt = (file_format or detect_format(filename, head)).lower()
    if fmt not in FORMATS:
        raise file_error(
            "ingest.unsupported_format",
            f"Unsupported file format {fmt!r}; use CSV, XLSX, JSONL or JSON",
            "不支持的文件格式：请使用 CSV、XLSX、JSONL 或 JSON",
            format=fmt,
        )
    if fmt == "csv":
        return open_csv(stream, resolve, max_bytes)
    if fmt == "xlsx":
        return open_xlsx(stream, resolve, max_bytes)
    if fmt == "jsonl":
        return open_jsonl(stream, max_bytes)
    return open_json(stream, max_bytes)
