"""Validate ledger files: the one entry point the CLI, the add-in and merge all use."""

from __future__ import annotations

import os
import pickle
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from .filecheck import SPREADSHEET_SUFFIXES, ReadError
from .findings import Finding
from .ledger_types import UNIT_ROLES, LedgerType, LedgerTypeError, get_type

LOCK_PREFIX = "~$"


@dataclass(slots=True)
class Options:
    ledger_type: str | None = None  # a built-in name or a YAML path; None = detect
    sheet: str | int | None = None
    year: int | None = None
    units: str | None = None  # --units NAME|FILE
    area_code: str | None = None


@dataclass(slots=True)
class FileResult:
    path: Path
    sheet: str | None = None
    ledger_type: str | None = None
    type_detected: bool = False
    type_source: str | None = None  # option | template | detected | generic
    type_reason: dict[str, str] = field(default_factory=dict)
    header_row: int | None = None
    rows: int = 0
    year: int | None = None
    findings: list[Finding] = field(default_factory=list)
    error: ReadError | None = None
    columns: dict[str, str] = field(default_factory=dict)  # lang -> the one-line column summary (see inspect)
    report_part: tuple[str, str, str] | None = None  # (format, lang, text): this file's share of a report (report.prepare)

    @property
    def errors(self) -> int:
        return sum(1 for f in self.findings if f.severity == "error")

    @property
    def warnings(self) -> int:
        return sum(1 for f in self.findings if f.severity == "warning")

    def to_dict(self, lang: str = "zh") -> dict[str, Any]:
        return {
            "path": str(self.path),
            "sheet": self.sheet,
            "ledger_type": self.ledger_type,
            "type_detected": self.type_detected,
            "type_source": self.type_source,
            "type_reason": self.type_reason.get(lang, ""),
            "header_row": self.header_row,
            "rows": self.rows,
            "year": self.year,
            "findings": [f.to_dict(lang) for f in self.findings],
            "error": None if self.error is None else {"code": self.error.code, "message": self.error.message(lang)},
        }


def collect_paths(paths: list[Path], skipped: list[tuple[Path, str]] | None = None) -> list[Path]:
    """Expand folders into the spreadsheets they hold; Excel lock files (~$x.xlsx) are skipped.

    With `skipped`, taizhang's own reports found in a folder (roll-up workbooks) are left out
    and listed there with what they are: CI that validates every spreadsheet of a repository
    must not fail on committed outputs. A file named explicitly is always validated.
    """
    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            for f in sorted(p.rglob("*")):
                if not f.is_file() or f.suffix.lower() not in SPREADSHEET_SUFFIXES or f.name.startswith(LOCK_PREFIX):
                    continue
                kind = own_output(f) if skipped is not None else None
                if kind is None:
                    out.append(f)
                else:
                    skipped.append((f, kind))
        elif not p.name.startswith(LOCK_PREFIX):
            out.append(p)
    return out


def validate_files(paths: list[Path], options: Options, jobs: int = 1,
                   each: Callable[[FileResult], Any] | None = None) -> list[FileResult]:
    """validate_file on each path, results in the order given.

    With `jobs` > 1 (0 = one per CPU) the files are shared out to that many processes: each file
    is independent, and reading and checking are CPU-bound, so a folder of submissions scales
    with the cores. A worker that dies takes only its own files: they come back as errors.
    `each` (picklable: a module's function or a partial of one) runs on each result where it was
    made, before it is returned: the caller's per-file work (its share of the report) is shared out too.
    """
    from .isolate import usable_cpus

    jobs = usable_cpus() if jobs == 0 else jobs
    jobs = max(1, min(jobs, len(paths)))
    if jobs == 1:
        return [_finished_file(p, options, each) for p in paths]
    from .isolate import forks, spread

    if forks():  # the workers are the reading isolation too: one fork each, files handed out one by one
        from .isolate import reset
        from .reader import read_first

        # the engine is loaded before the workers fork (they share it); meanwhile the reading
        # worker reads the first files on the core that would otherwise wait
        early: dict[int, Any] = {}
        try:
            if not _engine_loaded:
                early = read_first(paths, ledger_type=resolve_type(options), sheet=options.sheet, meanwhile=load_engine)
        except ReadError:  # an unknown --type: each file says so, as without --jobs
            pass
        reset(wait=False)  # the reading worker is not needed any more: it exits while the files are handed out
        load_engine()
        todo = [i for i in range(len(paths)) if not isinstance(early.get(i), ReadError)]
        _READ_EARLY.update((paths[i], ledger) for i, ledger in early.items() if i in todo)
        try:
            done = dict(zip(todo, spread(_validated, [(paths[i], options, each) for i in todo], jobs)))
        except OSError:  # no process could be forked (a process limit): one process does it all
            return [_finished_file(p, options, each) for p in paths]
        finally:
            _READ_EARLY.clear()
        results = [done.get(i, early.get(i)) for i in range(len(paths))]
        return [r if isinstance(r, FileResult) else _finished(FileResult(path=p, error=r), each)
                for p, r in zip(paths, results)]
    load_engine()
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool
    from itertools import repeat

    try:
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            return list(pool.map(_finished_file, paths, repeat(options), repeat(each),
                                 chunksize=max(1, len(paths) // (jobs * 4))))
    except BrokenProcessPool:  # a worker killed from outside (OOM killer): fall back to one process
        return [_finished_file(p, options, each) for p in paths]


# ledgers read while the engine was imported (pickled, see reader.read_first), by path: the
# workers that validate them are forked after, so they find them here (copy-on-write) instead of
# receiving them through a pipe
_READ_EARLY: dict[Path, bytes] = {}


def _finished(result: FileResult, each: Callable[[FileResult], Any] | None) -> FileResult:
    if each is not None:
        each(result)
    return result


def _finished_file(path: Path, options: Options, each: Callable[[FileResult], Any] | None) -> FileResult:
    return _finished(validate_file(path, options), each)


def _validated(path: Path, options: Options, each: Callable[[FileResult], Any] | None):
    """validate_file as a job of isolate.spread (a generator of its one result)."""
    early = _READ_EARLY.pop(path, None)  # popped: a path named twice is read again
    yield _finished(validate_file(path, options, None if early is None else pickle.loads(early)), each)


def own_output(path: Path) -> str | None:
    """The `type` of a report taizhang wrote (see metadata.OUTPUT_TYPES), None for anything else.

    Cheap for ordinary ledgers: only workbooks listing a `_taizhang` sheet are opened.
    """
    import zipfile

    from .metadata import META_SHEET, OUTPUT_TYPES

    try:
        with zipfile.ZipFile(path) as zf:
            if f'name="{META_SHEET}"'.encode() not in zf.read("xl/workbook.xml"):
                return None
        import python_calamine as pc

        from .reader import metadata_from_rows

        rows = pc.CalamineWorkbook.from_path(str(path)).get_sheet_by_name(META_SHEET).to_python()
        kind = metadata_from_rows(rows).get("type")
    except Exception:  # anything unusual is left for validate to report
        return None
    return kind if kind in OUTPUT_TYPES else None


def ledger_year(ledger, override: int | None) -> int | None:
    """The ledger's year: --year, else the _taizhang metadata, else the title, the sheet name or the
    file name (2019年台账.xlsx), before a deadline without a year is reported as unknown."""
    return year_and_source(ledger, override)[0]


def year_and_source(ledger, override: int | None) -> tuple[int | None, str | None]:
    """(year, where it came from: option | metadata | title | sheet | file), or (None, None)."""
    from .deadlines import infer_year

    if override:
        return override, "option"
    meta = ledger.metadata.get("year", "")
    if meta.isdigit():
        return int(meta), "metadata"
    year = infer_year(ledger.title)
    if year:
        return year, "title"
    for source, text in (("sheet", ledger.sheet), ("file", Path(ledger.path).stem if ledger.path else None)):
        year = _name_year(text)
        if year:
            return year, source
    return None, None


def _name_year(text: str | None) -> int | None:
    """A year in a sheet or file name: 2019年… or a bare 2010-2039 (not a row count like 2000)."""
    import re

    from .deadlines import infer_year

    if not text:
        return None
    if "年" in text:
        return infer_year(text)
    m = re.search(r"(?<!\d)(20[1-3]\d)(?!\d)", text)
    return int(m.group(1)) if m else None


def resolve_type(options: Options) -> LedgerType | None:
    if not options.ledger_type:
        return None
    try:
        return get_type(options.ledger_type)
    except LedgerTypeError as exc:
        raise ReadError("unknown-type", str(exc), str(exc)) from None


def validate_ledger(ledger, options: Options) -> tuple[list[Finding], int | None]:
    """All findings for a ledger already read, sorted by row and column."""
    load_engine()  # the first call in a process (threads of the service wait for it) loads the engine
    return _validate_ledger(ledger, options)


def _validate_ledger(ledger, options: Options) -> tuple[list[Finding], int | None]:
    from .coverage import uncovered
    from .schema import Context, run_schema
    from .structure import check_columns, check_formulas, check_keys
    from .units import Registry

    ltype = ledger.ledger_type
    year = ledger_year(ledger, options.year)
    chosen = options.units or ledger.metadata.get("registry") or ltype.registry
    registry = Registry.from_option(chosen)
    units = [v for c in ledger.columns.values() if c.definition.role in UNIT_ROLES for v in ledger.values[c.name]]
    ctx = Context(year=year, registry=registry, area_code=options.area_code or ltype.area_code,
                  region=registry.region_of(units))
    findings = check_columns(ledger) + check_keys(ledger) + check_formulas(ledger) + run_schema(ledger, ctx)
    if not chosen:  # the default registries: say once that none covers a ledger from elsewhere
        findings = uncovered(ledger, registry, findings)
    order = {c.header: c.index for c in ledger.columns.values()}
    findings.sort(key=lambda f: (f.row or 0, order.get(f.column or "", 0), f.code))
    return findings, year


# a one-row ledger that meets every field check once (a deadline, units, a contact and a phone)
_WARM_GRID = [["序号", "改革事项", "责任单位", "完成时限", "联系人", "联系电话"],
              [1, "预热", "市发展改革委", "2019年6月底前", "张三", "13812345678"]]


_engine_lock = threading.Lock()
_engine_loaded = False  # set when every import and the warm-up are done, not when they begin


def load_engine() -> None:
    """Import what validate_ledger runs on (pandas, pandera, the field grammars, phonenumbers)
    and run it once on a one-row ledger: pandera registers its backends and loads the rest of
    itself at its first validate, phonenumbers loads China's metadata at its first number (~20 ms
    together). Passed to read_ledger, this runs while the worker reads, on the other core; with
    --jobs, before the workers fork, so none of them pays it again."""
    import gc

    from .gc_pause import collector_paused

    global _engine_loaded
    if _engine_loaded:
        return
    with _engine_lock, collector_paused():  # imports make ~100k objects and no garbage: passes cost ~10%
        if _engine_loaded:  # another thread (the service's) loaded it while this one waited
            return
        try:
            from . import contacts, coverage, deadlines, inspect, schema, structure, units  # noqa: F401
            from .pandera_import import pandera_pandas

            pandera_pandas()
            units.Registry.builtin()  # the default registries, read from YAML once per process
            from .reader import read_grid

            # pandera imports parts of itself at its first validate: threads doing that at once can
            # deadlock on each other's import locks (Python then raises _DeadlockError in one)
            _validate_ledger(read_grid(_WARM_GRID, sheet="warm", path=Path("warm.xlsx")), Options(year=2019))
            _engine_loaded = True
        finally:
            # the modules live until exit: out of the collector's sight, each full collection during
            # the run stops costing ~50 ms (0.19 s of a 20k validate went to collections)
            gc.freeze()


def validate_file(path: Path, options: Options, ledger=None) -> FileResult:
    """Read (unless `ledger` is the file already read) and validate one file; a file that cannot
    be read comes back with `error` set."""
    from .inspect import column_summary
    from .reader import read_ledger
    from .units import RegistryError

    result = FileResult(path=path)
    try:
        if ledger is None:
            ledger = read_ledger(path, ledger_type=resolve_type(options), sheet=options.sheet, meanwhile=load_engine)
        result.sheet, result.ledger_type = ledger.sheet, ledger.ledger_type.name
        result.type_detected, result.header_row, result.rows = ledger.type_detected, ledger.header_row, len(ledger)
        result.type_source, result.type_reason = ledger.type_source, ledger.type_reason
        result.columns = {lang: column_summary(ledger, lang) for lang in ("zh", "en")}
        result.findings, result.year = validate_ledger(ledger, options)
    except ReadError as exc:
        result.error = exc
    except RegistryError as exc:
        result.error = ReadError("unreadable-file", str(exc), str(exc))
    except (MemoryError, RecursionError, Exception) as exc:  # a bug must not hide the other files' results
        if os.environ.get("TAIZHANG_DEBUG"):
            raise
        from .libmessages import internal_error

        result.error = internal_error(exc)
    return result
