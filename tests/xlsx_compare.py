"""What a person sees in a workbook, as plain data, so two writers' outputs can be compared.

Values, number formats, fonts, fills, alignment, borders, hyperlinks, merged ranges, column
widths, row heights, conditional formats, panes, print titles and areas, filters, sheet states
and charts (kind, series references, colours). Named-style names are left out: they are a
writer's bookkeeping, invisible in the cells.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


def _colour(c: Any) -> str | None:
    if c is None:
        return None
    rgb = getattr(c, "rgb", None)
    if isinstance(rgb, str):
        return rgb[-6:].upper()
    theme = getattr(c, "theme", None)
    return f"theme{theme}" if theme is not None else None


def _font(f: Any) -> tuple:
    colour = _colour(f.color)
    if colour == "theme1":  # the theme's text colour: what a font with no colour shows
        colour = None
    return (f.name, float(f.sz or 11), bool(f.b), bool(f.i), f.u or None, colour)


def _fill(f: Any) -> tuple | None:
    if f is None or f.fill_type in (None, "none"):
        return None
    return (f.fill_type, _colour(f.fgColor))


def _border(b: Any) -> tuple:
    return tuple((getattr(b, side).style, _colour(getattr(b, side).color)) for side in ("left", "right", "top", "bottom"))


def _value(v: Any) -> Any:
    if isinstance(v, float) and v.is_integer():
        return int(v)
    if hasattr(v, "date") and callable(v.date) and getattr(v, "hour", 1) == 0 and getattr(v, "minute", 1) == 0:
        return v.date()
    return v


def _widths(ws: Any) -> dict[str, float]:
    """Column widths by letter; a <col> element may span several columns."""
    from openpyxl.utils import get_column_letter

    out = {}
    for key, dim in ws.column_dimensions.items():
        if dim.width:
            first, last = (dim.min or 0), (dim.max or 0)
            for col in range(first, last + 1) if first and last else ():
                out[get_column_letter(col)] = round(dim.width, 2)
            if not (first and last):
                out[key] = round(dim.width, 2)
    return out


def snapshot(path: Path, folder_free: str | None = None, *, full: bool = False) -> dict[str, Any]:
    """Everything visible in the workbook at `path`, sheet by sheet. Text values that are an
    absolute path ending in `/folder_free` are cut to that name (where a test ran is no content).
    `full` adds what filling a file in meets: cell locks and notes, dropdowns, sheet protection
    and defined names (split files and merged workbooks carry them; the roll-up does not)."""
    import openpyxl

    wb = openpyxl.load_workbook(path)
    out: dict[str, Any] = {"sheets": [(ws.title, ws.sheet_state) for ws in wb.worksheets]}
    for ws in wb.worksheets:
        cells = {}
        for row in ws.iter_rows():
            for c in row:
                if c.value is None and not c.has_style:
                    continue
                link = None
                if c.hyperlink is not None:
                    link = (c.hyperlink.target, c.hyperlink.location, c.hyperlink.tooltip)
                value = _value(c.value)
                if folder_free and isinstance(value, str) and value.endswith("/" + folder_free):
                    value = folder_free
                cells[c.coordinate] = (
                    value, c.number_format, _font(c.font), _fill(c.fill),
                    (c.alignment.horizontal, c.alignment.vertical, bool(c.alignment.wrap_text)),
                    _border(c.border), link,
                )
                if full:
                    cells[c.coordinate] += ((c.protection.locked, c.protection.hidden),
                                            c.comment.text if c.comment is not None else None)
        cf = []
        for rng in ws.conditional_formatting:
            for rule in rng.rules:
                dxf = rule.dxf
                cf.append((str(rng.sqref), rule.type, rule.operator, tuple(rule.formula or ()),
                           _colour(dxf.fill.bgColor) if dxf and dxf.fill else None,  # what a dxf fill shows
                           _colour(dxf.font.color) if dxf and dxf.font else None, bool(dxf and dxf.font and dxf.font.b)))
        charts = []
        for ch in ws._charts:
            series = [(s.val.numRef.f if s.val and s.val.numRef else None,
                       s.cat.numRef.f if s.cat and s.cat.numRef else (s.cat.strRef.f if s.cat and s.cat.strRef else None))
                      for s in ch.series]
            series = [tuple(ref.replace("'", "") if ref else ref for ref in pair) for pair in series]
            charts.append((ch.tagname, ch.type, ch.grouping, series))
        out[ws.title] = {
            "cells": cells,
            "merged": sorted(str(m) for m in ws.merged_cells.ranges),
            "widths": _widths(ws),
            # Excel keeps row heights in whole pixels (0.75 pt): 26 pt and 26.25 pt are one height
            "heights": {k: round(v.height / 0.75) * 0.75 for k, v in ws.row_dimensions.items() if v.height},
            "conditional": sorted(cf),
            "freeze": ws.freeze_panes,
            "print_titles": ws.print_title_rows,
            "print_area": ws.print_area,
            "filter": ws.auto_filter.ref,
            "page": (ws.page_setup.orientation, str(ws.page_setup.paperSize), ws.page_setup.fitToWidth or 1,
                     1 if ws.page_setup.fitToHeight is None else ws.page_setup.fitToHeight),  # absent = 1
            "footer": ws.oddFooter.center.text,
            "charts": charts,
        }
        if full:
            prot = ws.protection
            out[ws.title]["protection"] = tuple(getattr(prot, k) for k in (
                "sheet", "password", "formatCells", "formatColumns", "formatRows", "insertColumns", "insertRows",
                "deleteColumns", "deleteRows", "sort", "autoFilter", "selectLockedCells", "selectUnlockedCells"))
            out[ws.title]["validations"] = sorted(
                (str(dv.sqref), dv.type, dv.operator, dv.formula1, dv.formula2, bool(dv.allow_blank),
                 bool(dv.showDropDown), dv.error, dv.prompt) for dv in ws.data_validations.dataValidation)
    if full:
        out["names"] = sorted((n, d.attr_text) for n, d in wb.defined_names.items())
    return out


def differences(a: dict[str, Any], b: dict[str, Any], limit: int = 20) -> list[str]:
    """Human-readable differences between two snapshots (at most `limit`)."""
    diffs: list[str] = []
    if a["sheets"] != b["sheets"]:
        diffs.append(f"sheets: {a['sheets']} != {b['sheets']}")
    if a.get("names") != b.get("names"):
        diffs.append(f"defined names: {a.get('names')} != {b.get('names')}")
    for title, _ in a["sheets"]:
        if title not in b:
            continue
        sa, sb = a[title], b[title]
        for key in sa:
            if key == "cells":
                for coord in sorted(set(sa["cells"]) | set(sb["cells"])):
                    if sa["cells"].get(coord) != sb["cells"].get(coord):
                        diffs.append(f"{title}!{coord}: {sa['cells'].get(coord)} != {sb['cells'].get(coord)}")
            elif sa[key] != sb.get(key):
                diffs.append(f"{title} {key}: {sa[key]} != {sb.get(key)}")
            if len(diffs) >= limit:
                return diffs
    return diffs
