"""Render validation results: one list of findings, many formats (like ruff's --output-format).

text for people, json for programs, junit for GitLab/Jenkins, github for Actions annotations,
sarif for code-scanning dashboards. Each renderer is a small function over the same results; all
but sarif are one share per file (`_PARTS`) joined by a frame with the totals (`_FRAMES`), so that
`validate --jobs` makes each file's share in the worker that validated it (`prepare`).
"""

from __future__ import annotations

import json
import os
import re
from typing import Callable, Sequence
from urllib.parse import quote
from xml.sax.saxutils import escape, quoteattr

from .findings import RULES, Finding
from .validate import FileResult

FORMATS = ("text", "json", "junit", "github", "sarif")
JSON_VERSION = 1


# C0/C1 controls (ESC starts terminal sequences; XML 1.0 forbids most C0 even escaped), bidi
# overrides that reorder what a reader sees, line separators, and the lone surrogates a file name
# that is not UTF-8 decodes to. Tab and newline stay.
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufffe\uffff\ud800-\udfff]")
_UNSAFE_IN_JSON = re.compile("[\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def _shown(ch: str) -> str:
    o = ord(ch)
    if 0xDC80 <= o <= 0xDCFF:  # a byte of a non-UTF-8 file name (surrogateescape)
        return f"\\x{o - 0xDC00:02x}"
    return f"\\x{o:02x}" if o < 0x20 else f"\\u{o:04x}"  # \\u: also a valid escape inside JSON text


def printable(text: str) -> str:
    """`text` with every character that could steer a terminal or break XML shown as an escape."""
    return _UNSAFE.sub(lambda m: _shown(m.group()), text)


def _json_text(doc: object, **kw) -> str:
    """JSON that is valid UTF-8 and inert on a terminal: raw C1/bidi characters become \\u escapes."""
    text = json.dumps(doc, ensure_ascii=False, **kw)

    def esc(m: re.Match) -> str:
        o = ord(m.group())
        return "\\\\" + _shown(m.group())[1:] if 0xD800 <= o <= 0xDFFF else f"\\u{o:04x}"

    return _UNSAFE_IN_JSON.sub(esc, text)


def summary(results: Sequence[FileResult]) -> dict[str, int]:
    return {
        "files": len(results),
        "errors": sum(r.errors for r in results),
        "warnings": sum(r.warnings for r in results),
        "unreadable": sum(1 for r in results if r.error is not None),
    }


def render(results: Sequence[FileResult], fmt: str, lang: str = "zh") -> str:
    """The whole report. Formats that are one share per file plus a frame (all but sarif) use
    each file's share as `prepare` left it on the result (made by the process that validated the
    file: with --jobs, on every core), or make it here."""
    if fmt == "sarif":
        return to_sarif(results, lang)
    part = _PARTS[fmt]
    parts = [r.report_part[2] if r.report_part is not None and r.report_part[:2] == (fmt, lang) else part(r, lang)
             for r in results]
    return _FRAMES[fmt](results, parts, lang)


def prepare(result: FileResult, fmt: str, lang: str = "zh") -> None:
    """Make `result`'s share of a `fmt` report now and keep it on the result, for `render`; pass
    as validate_files' `each` (with functools.partial) so that it runs where the file was checked."""
    if fmt in _PARTS:
        result.report_part = (fmt, lang, _PARTS[fmt](result, lang))


def _json_part(r: FileResult, lang: str) -> str:
    # compact: the C encoder only runs without indent, 5x faster on large reports
    return _json_text(r.to_dict(lang), separators=(",", ":"))


def _json_frame(results: Sequence[FileResult], parts: list[str], lang: str) -> str:
    """{"version":…,"files":[…],"summary":{…}}, byte for byte what json.dumps writes for it."""
    compact = {"separators": (",", ":")}
    return (f'{{"version":{_json_text(JSON_VERSION, **compact)},"files":[{",".join(parts)}],'
            f'"summary":{_json_text(summary(results), **compact)}}}\n')


def _text_part(r: FileResult, lang: str) -> str:
    zh = lang == "zh"
    if r.error is not None:
        return printable(f"{r.path}: {r.error.message(lang)}")
    reason = r.type_reason.get(lang) if r.type_reason else None
    detected = (f"（{reason}）" if zh else f" ({reason})") if reason else \
        (("（自动识别）" if zh else " (detected)") if r.type_detected else "")
    head = (f"{r.path} [{r.sheet}] 类型 {r.ledger_type}{detected}，表头第 {r.header_row} 行，{r.rows} 行数据"
            if zh else f"{r.path} [{r.sheet}] type {r.ledger_type}{detected}, header row {r.header_row}, {r.rows} rows")
    lines = [head]
    if r.columns.get(lang):
        lines.append(f"  {r.columns[lang]}")
    for f in r.findings:
        sev = ("错误" if f.severity == "error" else "警告") if zh else f.severity
        lines.append(f"  {f.cell or '-':>6}  {sev}  {f.code:<24} {f.message(lang)}")
    if not r.findings:
        lines.append("  没有发现问题" if zh else "  no problems found")
    return "\n".join(printable(line) for line in lines)


def _text_frame(results: Sequence[FileResult], parts: list[str], lang: str) -> str:
    s = summary(results)
    if lang == "zh":
        last = f"共 {s['files']} 个文件：{s['errors']} 个错误，{s['warnings']} 个警告，{s['unreadable']} 个文件无法读取"
    else:
        last = f"{s['files']} file(s): {s['errors']} error(s), {s['warnings']} warning(s), {s['unreadable']} unreadable"
    return "\n".join([*parts, printable(last)]) + "\n"


def _github_part(r: FileResult, lang: str) -> str:
    """The file's annotation lines ("" when it has none)."""
    def prop(text: str) -> str:
        return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A").replace(":", "%3A").replace(",", "%2C")

    def data(text: str) -> str:
        return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")

    if r.error is not None:
        return printable(f"::error file={prop(str(r.path))},title={prop(r.error.code)}::{data(r.error.message(lang))}")
    lines = []
    for f in r.findings:
        level = "error" if f.severity == "error" else "warning"
        title = prop(f"{f.code} {f.sheet}!{f.cell}")
        lines.append(f"::{level} file={prop(str(r.path))},title={title}::{data(f.message(lang))}")
    return "\n".join(printable(line) for line in lines)


def _github_frame(results: Sequence[FileResult], parts: list[str], lang: str) -> str:
    text = "\n".join(p for p in parts if p)
    return text + ("\n" if text else "")


def _junit_part(r: FileResult, lang: str) -> str:
    """One testsuite per file, one testcase per rule; failures carry cell and message."""
    cases = []
    if r.error is not None:
        cases.append(f'    <testcase classname={quoteattr(str(r.path))} name={quoteattr(r.error.code)}>\n'
                     f'      <error type={quoteattr(r.error.code)} message={quoteattr(r.error.message(lang))}/>\n'
                     f'    </testcase>')
    else:
        by_code: dict[str, list[Finding]] = {}
        for f in r.findings:
            by_code.setdefault(f.code, []).append(f)
        for code in RULES:
            found = by_code.get(code, [])
            errors = [f for f in found if f.severity == "error"]
            body = "\n".join(f"{f.sheet}!{f.cell}: {f.message(lang)}" for f in found)
            if errors:
                inner = (f'\n      <failure type={quoteattr(code)} message={quoteattr(f"{len(found)} × {code}")}>'
                         f'{escape(body)}</failure>\n    ')
            elif found:
                inner = f"\n      <system-out>{escape(body)}</system-out>\n    "
            else:
                inner = ""
            cases.append(f'    <testcase classname={quoteattr(str(r.path))} name={quoteattr(code)}>{inner}</testcase>')
    failures = sum(1 for c in cases if "<failure" in c)
    errs = 1 if r.error is not None else 0
    return printable(f'  <testsuite name={quoteattr(str(r.path))} tests="{len(cases)}" failures="{failures}" '
                     f'errors="{errs}" skipped="0">\n' + "\n".join(cases) + "\n  </testsuite>")


def _junit_frame(results: Sequence[FileResult], parts: list[str], lang: str) -> str:
    s = summary(results)
    total = sum(len(RULES) if r.error is None else 1 for r in results)
    failures = sum(len({f.code for f in r.findings if f.severity == "error"}) for r in results)
    return (printable('<?xml version="1.0" encoding="UTF-8"?>\n'
                      f'<testsuites name="taizhang" tests="{total}" failures="{failures}" errors="{s["unreadable"]}">\n')
            + "\n".join(parts) + "\n</testsuites>\n")


def to_sarif(results: Sequence[FileResult], lang: str) -> str:
    rules = [{"id": code, "name": rule.title_en.title().replace(" ", ""),
              "shortDescription": {"text": rule.title(lang)},
              "fullDescription": {"text": rule.why_zh if lang == "zh" else rule.why_en},
              "help": {"text": rule.fix_zh if lang == "zh" else rule.fix_en},
              "defaultConfiguration": {"level": "error" if rule.severity == "error" else "warning"}}
             for code, rule in RULES.items()]
    index = {code: i for i, code in enumerate(RULES)}
    out = []
    notifications = []
    for r in results:
        uri = quote(os.fsencode(r.path.as_posix()))  # a URI reference: the name's bytes percent-encoded
        if r.error is not None:
            notifications.append({"level": "error", "message": {"text": r.error.message(lang)},
                                  "descriptor": {"id": r.error.code},
                                  "locations": [{"physicalLocation": {"artifactLocation": {"uri": uri}}}]})
            continue
        for f in r.findings:
            out.append({
                "ruleId": f.code, "ruleIndex": index[f.code],
                "level": "error" if f.severity == "error" else "warning",
                "message": {"text": f"{f.sheet}!{f.cell}: {f.message(lang)}"},
                "locations": [{
                    "physicalLocation": {"artifactLocation": {"uri": uri},
                                         "region": {"startLine": f.row or 1, "snippet": {"text": str(f.value or "")}}},
                    "logicalLocations": [{"name": f"{f.sheet}!{f.cell}", "fullyQualifiedName": f"{f.sheet}!{f.cell}",
                                          "kind": "element"}],
                }],
            })
    doc = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "taizhang", "informationUri": "https://pypi.org/project/taizhang/",
                                "version": _version(), "rules": rules}},
            "results": out,
            "invocations": [{"executionSuccessful": not notifications, "toolExecutionNotifications": notifications}],
        }],
    }
    return _json_text(doc, indent=2) + "\n"


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("taizhang")
    except PackageNotFoundError:
        return "0"


# formats made of one share per file (kept apart from its frame so that the shares can be made
# where the files are validated) and the frame that joins them with the totals
_PARTS: dict[str, Callable[[FileResult, str], str]] = {
    "text": _text_part, "json": _json_part, "junit": _junit_part, "github": _github_part,
}
_FRAMES: dict[str, Callable[[Sequence[FileResult], list[str], str], str]] = {
    "text": _text_frame, "json": _json_frame, "junit": _junit_frame, "github": _github_frame,
}
