"""What the command lines of the case procedures (objections, repairs, commitments, declarations)
share: a subject found by its code, the files given with ``--attach``, the list table and one case
as a key/value table (status, 查询码, the procedure's own rows, deadlines, steps, letters). The
window's actor is ``core.cli_common.office_actor``."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, TypeVar

from sqlalchemy.orm import Session

from xinyong.core.cli_common import print_rows, print_table

if TYPE_CHECKING:
    from xinyong.casework.schemas import DeadlineView, LetterView, StepView

# Services and schemas are imported inside the functions: `xinyong --help` loads only what it uses.


class CaseRow(Protocol):
    """What every procedure's view has for the list table."""

    @property
    def id(self) -> int: ...
    @property
    def subject_name(self) -> str: ...
    @property
    def lookup_code(self) -> str | None: ...


class CaseView(Protocol):
    """What every procedure's view has for the one-case table."""

    @property
    def status_zh(self) -> str: ...
    @property
    def lookup_code(self) -> str | None: ...
    @property
    def deadlines(self) -> Sequence[DeadlineView]: ...
    @property
    def steps(self) -> Sequence[StepView]: ...
    @property
    def letters(self) -> Sequence[LetterView]: ...


Row = TypeVar("Row", bound=CaseRow)


def find_subject_id(session: Session, code: str) -> int:
    """The subject with this USCC or ID number (``subject.not_found`` when nobody has it)."""
    from xinyong.subjects import service as subjects_service

    return subjects_service.get_by_code(session, code.strip()).id


def read_attachments(paths: Iterable[Path]) -> list[tuple[str, bytes]]:
    """``(file name, content)`` of each ``--attach`` file, as the services take attachments."""
    return [(p.name, p.read_bytes()) for p in paths]


def print_case_list(
    title: str,
    headers: Sequence[str],
    items: Iterable[Row],
    cells: Callable[[Row], Sequence[object]],
) -> None:
    """The list table: 编号 and 主体 first, 查询码 last, the procedure's own ``headers`` (and the
    ``cells`` of each case) between them."""
    print_table(
        title,
        ("编号", "主体", *headers, "查询码"),
        ((v.id, v.subject_name, *cells(v), v.lookup_code or "") for v in items),
    )


def print_case(
    title: str, view: CaseView, own_rows: Iterable[tuple[str, object]], *, letters: bool = True
) -> None:
    """One case: status and 查询码, the procedure's ``own_rows``, then each deadline (done,
    cancelled or open; overdue), each step and, with ``letters``, each letter issued."""
    rows: list[tuple[str, object]] = [("状态", view.status_zh), ("查询码", view.lookup_code or "—")]
    rows.extend(own_rows)
    for d in view.deadlines:
        state = f"已办结 {d.done_on}" if d.done_on else ("已取消" if d.cancelled else "待办")
        late = "（已逾期）" if d.overdue else ""
        rows.append((f"期限·{d.step_zh}", f"{d.due_date or '待定'} {state}{late}"))
    rows.extend((f"{s.on} {s.action_zh}", s.text or "—") for s in view.steps)
    if letters:
        rows.extend((letter.number, letter.title) for letter in view.letters)
    print_rows(title, rows)
