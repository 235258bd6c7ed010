"""Replay xlwings remote-engine actions onto an .xlsx with openpyxl (a headless Excel client).

``book.json()["actions"]`` is what Python sends back to the Excel client after an
add-in function ran on an ``xw.Book(json=...)``.  Each action is::

    {"func": "setRangeColor", "args": ["#FFC7CE"], "values": None,
     "sheet_position": 0, "start_row": 2, "start_column": 1,
     "row_count": 1, "column_count": 1}

with 0-based sheet/row/column (``xlwings/pro/_xlremote.py``, ``append_json_action``).

The replay is strict on purpose, so that tests fail when add-in code uses something
the deployed client can't do:

* an action outside the chosen client's repertoire raises :class:`ClientActionError`
  (xlwings Server's Office.js client runs 44 of the engine's 122 actions, the VBA
  client ``RunRemotePython`` 37; notes, column widths, borders... are xlwings Lite only);
* an action this replayer doesn't implement, or one xlwings never emits, raises
  :class:`UnsupportedActionError`.

UI-only actions (``alert``, ``rangeSelect``, ``setAutofit``) are recorded in the
returned :class:`ApplyResult` instead of changing the file.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from copy import copy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from openpyxl import load_workbook
from openpyxl.cell.cell import Cell
from openpyxl.comments import Comment
from openpyxl.styles import PatternFill
from openpyxl.utils import column_index_from_string, get_column_letter
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.hyperlink import Hyperlink
from openpyxl.worksheet.worksheet import Worksheet

Client = Literal["officejs", "vba", "lite"]

#: Every literal action name xlwings 0.37.8's remote engine emits.
XLWINGS_ACTIONS = frozenset(
    """activateSheet addChart addComment addCommentReply addConditionalFormat addHyperlink addNote
    addPicture addPivotTable addSheet addTable addTableColumn addTableRow alert calculate chartToPng
    clearConditionalFormats copyFromRange copyRange copySheet deleteChart deleteComment
    deleteConditionalFormat deleteDataValidation deleteNote deletePicture deleteShape deleteTableColumn
    deleteTableRow freezePaneAtRange freezePaneUnfreeze moveRange nameDelete namesAdd rangeAdjustIndent
    rangeAutofill rangeClear rangeClearContents rangeClearFormats rangeDelete rangeGroup rangeInsert
    rangeMerge rangeRemoveDuplicates rangeReplaceAll rangeSelect rangeSort rangeToPng rangeUngroup
    rangeUnmerge resizeTable runMacro save scaleShape setAutofit setBorderProperty setCalculation
    setChartAxis setChartName setChartPlotBy setChartPosition setChartSeries setChartSourceData
    setChartType setChartXAxisValues setColumnHidden setColumnWidth setCommentResolved setCommentText
    setConditionalFormat setDataValidationList setDataValidationRule setFontProperty setFormula
    setFormulaArray setHorizontalAlignment setNameRefersTo setNoteText setNumberFormat setPictureHeight
    setPictureLeft setPictureLockAspectRatio setPictureName setPictureTop setPictureWidth setPrintArea
    setRangeColor setRangeColors setRangeName setRowHeight setRowHidden setScreenUpdating
    setShapeFontProperty setShapeHeight setShapeLeft setShapeName setShapeText setShapeTop setShapeWidth
    setSheetAutofit setSheetName setSheetPosition setSheetVisibility setShowGridlines setTableName
    setTableStyle setValues setVerticalAlignment setWrapText sheetClear sheetClearContents
    sheetClearFormats sheetDelete showAutofilterTable showHeadersTable showTableStyleColumnStripes
    showTableStyleFirstColumn showTableStyleLastColumn showTableStyleRowStripes showTotalsTable tableSort
    updatePicture""".split()
)

_VBA_ACTIONS = frozenset(
    """activateSheet addHyperlink addPicture addSheet addTable alert copyRange deletePicture nameDelete
    namesAdd rangeClear rangeClearContents rangeClearFormats rangeDelete rangeInsert rangeSelect
    resizeTable runMacro setAutofit setNumberFormat setPictureHeight setPictureName setPictureWidth
    setRangeColor setRangeName setSheetName setTableName setTableStyle setValues sheetClear
    sheetClearContents sheetClearFormats sheetDelete showAutofilterTable showHeadersTable
    showTotalsTable updatePicture""".split()
)

#: Actions each real client executes.  Office.js: xlwings Server's ``custom-scripts``
#: client (``funcs`` map); VBA: the ``Sub``s of ``Remote.bas``; Lite: everything.
CLIENT_ACTIONS: dict[str, frozenset[str]] = {
    "officejs": _VBA_ACTIONS
    | frozenset(
        """copyFromRange freezePaneAtRange freezePaneUnfreeze rangeAdjustIndent rangeGroup
        rangeUngroup setFontProperty""".split()
    ),
    "vba": _VBA_ACTIONS,
    "lite": XLWINGS_ACTIONS,
}

# Strings the engine writes for dates (prepare_xl_data_element) and ISO strings with Z;
# both Excel clients turn them back into dates.
_DATE_STRING = re.compile(r"^\d{4}-\d{2}-\d{2}(?:[ T]\d{2}:\d{2}:\d{2}(?:\.\d+)?Z?)?$")
_FONT_ATTRIBUTES = {"bold": "b", "italic": "i", "size": "sz", "name": "name", "color": "color"}


class ActionError(Exception):
    """Base class of replay errors."""


class ClientActionError(ActionError):
    """The chosen Excel client cannot execute this action."""

    def __init__(self, func: str, client: str) -> None:
        super().__init__(f"xlwings action {func!r} is not executed by the {client!r} client")
        self.func = func
        self.client = client


class UnsupportedActionError(ActionError):
    """The action is unknown to xlwings or not implemented by this replayer."""

    def __init__(self, func: str, client: str, known: bool) -> None:
        what = "is not implemented by the openpyxl replayer" if known else "is not an xlwings action"
        super().__init__(f"action {func!r} {what} (client {client!r})")
        self.func = func
        self.client = client


@dataclass(frozen=True)
class Alert:
    """An ``alert`` action (``book.app.alert``), i.e. a message box."""

    prompt: str
    title: str = ""
    buttons: str = ""
    mode: str = ""
    callback: str = ""


@dataclass
class ApplyResult:
    """What a replay did besides changing the workbook."""

    alerts: list[Alert] = field(default_factory=list)
    applied: list[str] = field(default_factory=list)
    selections: list[tuple[str, str]] = field(default_factory=list)  # (sheet, A1 range)
    autofits: list[tuple[str, str]] = field(default_factory=list)  # (sheet, "columns"/"rows")


def _excel_value(value: Any) -> Any:
    """A JSON value as the client would store it in a cell."""
    if value == "" or value is None:
        return None
    if isinstance(value, str) and _DATE_STRING.match(value):
        return dt.datetime.fromisoformat(value.rstrip("Z").replace("T", " "))
    return value


def _argb(color: str) -> str:
    return "FF" + color.lstrip("#").upper().rjust(6, "0")


class _Replayer:
    def __init__(self, wb: Workbook, client: str) -> None:
        self.wb = wb
        self.client = client
        self.result = ApplyResult()
        self.handlers: dict[str, Callable[[dict[str, Any], list[Any]], None]] = {
            name[3:]: getattr(self, name) for name in dir(self) if name.startswith("do_")
        }

    # ----------------------------------------------------------- helpers
    def sheet(self, action: Mapping[str, Any]) -> Worksheet:
        return self.wb.worksheets[action["sheet_position"]]

    def cells(self, action: Mapping[str, Any]) -> Iterator[Cell]:
        """Cells of the target range; whole rows/columns are clipped to the used area."""
        ws = self.sheet(action)
        first_row, first_col = action["start_row"] + 1, action["start_column"] + 1
        rows, cols = action["row_count"], action["column_count"]
        rows = min(rows, max(ws.max_row - first_row + 1, 1))
        cols = min(cols, max(ws.max_column - first_col + 1, 1))
        for r in range(first_row, first_row + rows):
            for c in range(first_col, first_col + cols):
                yield ws.cell(r, c)

    def range_ref(self, action: Mapping[str, Any]) -> str:
        r0, c0 = action["start_row"] + 1, action["start_column"] + 1
        r1, c1 = r0 + action["row_count"] - 1, c0 + action["column_count"] - 1
        return f"{get_column_letter(c0)}{r0}:{get_column_letter(c1)}{r1}"

    def apply(self, action: dict[str, Any]) -> None:
        func = action.get("func")
        if not isinstance(func, str):
            raise UnsupportedActionError(repr(func), self.client, known=False)
        if func in XLWINGS_ACTIONS and func not in CLIENT_ACTIONS[self.client]:
            raise ClientActionError(func, self.client)
        handler = self.handlers.get(func)
        if handler is None or func not in XLWINGS_ACTIONS:
            raise UnsupportedActionError(func, self.client, known=func in XLWINGS_ACTIONS)
        handler(action, list(action.get("args") or []))
        self.result.applied.append(func)

    # ----------------------------------------------------------- values
    def do_setValues(self, action: dict[str, Any], args: list[Any]) -> None:
        ws = self.sheet(action)
        for i, row in enumerate(action["values"]):
            for j, value in enumerate(row):
                ws.cell(action["start_row"] + 1 + i, action["start_column"] + 1 + j, _excel_value(value))

    def do_rangeClearContents(self, action: dict[str, Any], args: list[Any]) -> None:
        for cell in self.cells(action):
            cell.value = None

    def do_rangeClearFormats(self, action: dict[str, Any], args: list[Any]) -> None:
        for cell in self.cells(action):
            cell.style = "Normal"

    def do_rangeClear(self, action: dict[str, Any], args: list[Any]) -> None:
        for cell in self.cells(action):
            cell.value = None
            cell.style = "Normal"
            cell.hyperlink = None

    # ----------------------------------------------------------- formatting
    def do_setRangeColor(self, action: dict[str, Any], args: list[Any]) -> None:
        color = args[0] if args else None
        fill = PatternFill(fill_type=None) if color is None else PatternFill("solid", fgColor=_argb(color))
        for cell in self.cells(action):
            cell.fill = fill

    def do_setRangeColors(self, action: dict[str, Any], args: list[Any]) -> None:
        """xlwings Lite: one colour per cell of the range, "keep" leaves a cell's fill alone."""
        ws = self.sheet(action)
        for i, row in enumerate(args[0]):
            for j, color in enumerate(row):
                if color == "keep":
                    continue
                cell = ws.cell(action["start_row"] + 1 + i, action["start_column"] + 1 + j)
                cell.fill = PatternFill(fill_type=None) if color is None else PatternFill("solid", fgColor=_argb(color))

    def do_setNumberFormat(self, action: dict[str, Any], args: list[Any]) -> None:
        for cell in self.cells(action):
            cell.number_format = args[0]

    def do_setFontProperty(self, action: dict[str, Any], args: list[Any]) -> None:
        prop, value = args[0], args[1]
        attribute = _FONT_ATTRIBUTES[prop]
        if attribute == "color":
            value = _argb(value)
        for cell in self.cells(action):
            font = copy(cell.font)
            setattr(font, attribute, value)
            cell.font = font

    def do_setWrapText(self, action: dict[str, Any], args: list[Any]) -> None:
        for cell in self.cells(action):
            alignment = copy(cell.alignment)
            alignment.wrap_text = bool(args[0])
            cell.alignment = alignment

    def do_setColumnWidth(self, action: dict[str, Any], args: list[Any]) -> None:
        ws = self.sheet(action)
        first = action["start_column"] + 1
        for col in range(first, first + action["column_count"]):
            ws.column_dimensions[get_column_letter(col)].width = args[0]

    def do_setRowHeight(self, action: dict[str, Any], args: list[Any]) -> None:
        ws = self.sheet(action)
        first = action["start_row"] + 1
        for row in range(first, first + action["row_count"]):
            ws.row_dimensions[row].height = args[0]

    def do_setAutofit(self, action: dict[str, Any], args: list[Any]) -> None:
        # Autofit needs font metrics; openpyxl can't measure, so only record it.
        self.result.autofits.append((self.sheet(action).title, args[0]))

    def do_setSheetAutofit(self, action: dict[str, Any], args: list[Any]) -> None:
        self.result.autofits.append((self.sheet(action).title, args[0]))

    # ----------------------------------------------------------- links, notes, names
    def do_addHyperlink(self, action: dict[str, Any], args: list[Any]) -> None:
        address, text, tip = [*args, None, None][:3]
        cell = self.sheet(action).cell(action["start_row"] + 1, action["start_column"] + 1)
        if address.startswith("#"):  # a place in this workbook
            cell.hyperlink = Hyperlink(ref=cell.coordinate, location=address[1:], tooltip=tip)
        else:
            cell.hyperlink = Hyperlink(ref=cell.coordinate, target=address, tooltip=tip)
        cell.value = text if text is not None else address
        cell.style = "Hyperlink"

    def do_addNote(self, action: dict[str, Any], args: list[Any]) -> None:
        address, text = args[0], args[1]
        self.sheet(action)[address.replace("$", "")].comment = Comment(text, "taizhang")

    def do_setNoteText(self, action: dict[str, Any], args: list[Any]) -> None:
        self.do_addNote(action, args)

    def do_deleteNote(self, action: dict[str, Any], args: list[Any]) -> None:
        self.sheet(action)[args[0].replace("$", "")].comment = None

    def do_setRangeName(self, action: dict[str, Any], args: list[Any]) -> None:
        ws = self.sheet(action)
        r0, c0 = action["start_row"] + 1, action["start_column"] + 1
        r1, c1 = r0 + action["row_count"] - 1, c0 + action["column_count"] - 1
        ref = f"${get_column_letter(c0)}${r0}"
        if (r1, c1) != (r0, c0):
            ref += f":${get_column_letter(c1)}${r1}"
        self.wb.defined_names[args[0]] = DefinedName(args[0], attr_text=f"'{ws.title}'!{ref}")

    # ----------------------------------------------------------- sheets
    def do_addSheet(self, action: dict[str, Any], args: list[Any]) -> None:
        position, name = args[0], args[1] if len(args) > 1 else None
        self.wb.create_sheet(title=name, index=position)

    def do_setSheetName(self, action: dict[str, Any], args: list[Any]) -> None:
        self.sheet(action).title = args[0]

    def do_sheetDelete(self, action: dict[str, Any], args: list[Any]) -> None:
        self.wb.remove(self.sheet(action))

    def do_sheetClearContents(self, action: dict[str, Any], args: list[Any]) -> None:
        for row in self.sheet(action).iter_rows():
            for cell in row:
                cell.value = None

    def do_sheetClearFormats(self, action: dict[str, Any], args: list[Any]) -> None:
        for row in self.sheet(action).iter_rows():
            for cell in row:
                cell.style = "Normal"

    def do_sheetClear(self, action: dict[str, Any], args: list[Any]) -> None:
        for row in self.sheet(action).iter_rows():
            for cell in row:
                cell.value = None
                cell.style = "Normal"
                cell.hyperlink = None
                cell.comment = None

    def do_activateSheet(self, action: dict[str, Any], args: list[Any]) -> None:
        self.wb.active = args[0]

    def do_freezePaneAtRange(self, action: dict[str, Any], args: list[Any]) -> None:
        # args[0] is the frozen range, e.g. "A1:B2": the pane starts below/right of it.
        last = args[0].replace("$", "").split(":")[-1]
        match = re.fullmatch(r"([A-Z]*)(\d*)", last)
        assert match is not None, args[0]
        col, row = match.groups()
        next_col = get_column_letter(column_index_from_string(col) + 1) if col else "A"
        next_row = int(row) + 1 if row else 1
        self.sheet(action).freeze_panes = f"{next_col}{next_row}"

    def do_freezePaneUnfreeze(self, action: dict[str, Any], args: list[Any]) -> None:
        self.sheet(action).freeze_panes = None

    # ----------------------------------------------------------- UI only
    def do_alert(self, action: dict[str, Any], args: list[Any]) -> None:
        self.result.alerts.append(Alert(*[("" if a is None else a) for a in args[:5]]))

    def do_rangeSelect(self, action: dict[str, Any], args: list[Any]) -> None:
        self.result.selections.append((self.sheet(action).title, self.range_ref(action)))


def apply_actions(
    xlsx_in: str | Path,
    actions: Iterable[dict[str, Any]] | Mapping[str, Any],
    xlsx_out: str | Path,
    client: Client = "officejs",
) -> ApplyResult:
    """Replay ``actions`` (a list, or ``book.json()`` itself) onto ``xlsx_in``; save ``xlsx_out``.

    Raises :class:`ClientActionError` for an action ``client`` can't execute and
    :class:`UnsupportedActionError` for unknown or unimplemented ones; nothing is
    saved then.
    """
    if client not in CLIENT_ACTIONS:
        raise ValueError(f"unknown client {client!r}; use one of {sorted(CLIENT_ACTIONS)}")
    action_list: Iterable[dict[str, Any]] = actions["actions"] if isinstance(actions, Mapping) else actions
    replayer = _Replayer(load_workbook(xlsx_in), client)
    for action in action_list:
        replayer.apply(action)
    replayer.wb.save(xlsx_out)
    return replayer.result
