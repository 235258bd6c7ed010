"""What a notice is read into: its sections, tasks, sub-items, units, tables, and what was left over.

Plain data: `ledgerops.notice` fills it, `ledgerops.importer` turns it into a ledger workbook.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from taizhang.validator.findings import Problem
    from taizhang.validator.ledger_types import LedgerType

# Characters that end a sentence or a clause: text ending in one is finished, not broken mid-line.
TERMINAL = "。；;！？!?）)」”’：:"


@dataclass(slots=True)
class Units:
    """The units a clause names, split by role, as written; `clause` is the text it came from."""

    clause: str = ""
    lead: list[str] = field(default_factory=list)
    co: list[str] = field(default_factory=list)
    separately: bool = False  # 分别负责: each lead answers for its own part
    roles: bool = False  # the clause said who leads and who co-operates (牵头/配合)

    @property
    def all(self) -> list[str]:
        return self.lead + [u for u in self.co if u not in self.lead]

    def __bool__(self) -> bool:
        return bool(self.lead or self.co)


@dataclass(slots=True)
class SubItem:
    number: str  # as written: "1", "（2）", "①"
    text: str
    units: Units = field(default_factory=Units)
    deadlines: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Task:
    number: str  # as written: "1", "三", "二十六"
    section: str | None  # the heading(s) above it, as written: "一、稳步推进分级诊疗制度建设"
    title: str  # first sentence, without its final 。
    content: str  # the rest of the text, without the unit clause and the sub-items
    units: Units
    sub_items: list[SubItem] = field(default_factory=list)
    deadlines: list[str] = field(default_factory=list)  # dates stated in title + content
    line: int = 0  # where it starts in the source (line of a .txt, paragraph of a .docx)
    body: str = ""  # the whole text without the unit clause, sub-items included

    @property
    def text(self) -> str:
        """Title and content again, for types that keep the whole task in one column."""
        title = self.title + ("。" if self.title and not self.title.endswith(tuple(TERMINAL)) else "")
        return (title + self.content) if self.content else self.title


@dataclass(slots=True)
class TableRow:
    values: dict[str, str | None]  # type column name -> cell text (merged cells filled from above)
    key_merged: bool  # the 序号 cell is blank or merged with the row above: a sub-item row
    line: int


@dataclass(slots=True)
class NoticeTable:
    """A table in a .docx (or an aligned table in a .txt) whose header row is a ledger header."""

    ledger_type: "LedgerType"
    title: str | None
    headers: list[str]  # as written
    mapped: dict[int, str]  # table column index -> type column name
    unmapped: list[str]  # headers no column of the type takes
    rows: list[TableRow]
    line: int


@dataclass(slots=True)
class Notice:
    path: Path
    title: str | None
    year: int | None
    sections: list[str]
    tasks: list[Task]
    tables: list[NoticeTable]
    other: list[tuple[int, str]]  # unnumbered text outside any task: preamble, closing, signature
    encoding: str | None = None
    unit_problems: dict[str, list["Problem"]] = field(default_factory=dict)  # each distinct name -> problems
    unread_tables: list[tuple[int, str]] = field(default_factory=list)  # (line, header) of tables that are no ledger
    cell_per_line: bool = False  # a table flattened to one cell per tab-led line (web or PDF copy)

    @property
    def units_found(self) -> list[str]:
        return list(self.unit_problems)

    @property
    def sub_item_count(self) -> int:
        return sum(len(t.sub_items) for t in self.tasks)
