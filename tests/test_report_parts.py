"""Reports made of per-file shares (issue 18): `validate --jobs` makes each file's share of the
report in the worker that validated it. The joined report must be the one a single pass over all
results writes, byte for byte, whichever process made the shares."""

from __future__ import annotations

import json
from functools import partial

import pytest

from conftest import EX000, EX000_CSV, EX002, EX003

FORMATS = ["text", "json", "junit", "github", "sarif"]


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    from taizhang.validator.validate import Options, validate_files

    folder = tmp_path_factory.mktemp("parts")
    bad = folder / "坏.xlsx"
    bad.write_bytes(b"PK\x03\x04 not really a zip")
    hostile = folder / "h.csv"  # cell text with a terminal escape: shown as \x1b in every format
    hostile.write_text("序号,工作任务,牵头部门,时间进度,联系人,联系电话\n1,推进改革,\x1b[2J未知局,2019年6月底,张三,123\n",
                       encoding="utf-8")
    return validate_files([EX000, bad, EX002, hostile, EX003, EX000_CSV], Options())


def _fresh(results):
    from dataclasses import replace

    return [replace(r, report_part=None) for r in results]


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("fmt", FORMATS)
def test_shares_made_beforehand_give_the_same_report(results, fmt, lang):
    from taizhang.validator.report import prepare, render

    plain = render(_fresh(results), fmt, lang)
    ready = _fresh(results)
    for r in ready:
        prepare(r, fmt, lang)
    assert all((r.report_part is not None) == (fmt != "sarif") for r in ready)
    assert render(ready, fmt, lang) == plain
    other = _fresh(results)
    for r in other:  # shares made for another format or language are not used
        prepare(r, "json" if fmt != "json" else "text", "en" if lang == "zh" else "zh")
    assert render(other, fmt, lang) == plain


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_json_joined_from_shares_is_what_json_dumps_writes_for_the_whole(results, lang):
    from taizhang.validator.report import JSON_VERSION, _json_text, render, summary

    doc = {"version": JSON_VERSION, "files": [r.to_dict(lang) for r in results], "summary": summary(results)}
    text = render(_fresh(results), "json", lang)
    assert text == _json_text(doc, separators=(",", ":")) + "\n"
    assert json.loads(text) == json.loads(json.dumps(doc, ensure_ascii=False))
    assert "\\u001b" in text and "\x1b" not in text  # the escape, kept as JSON escapes it


@pytest.mark.parametrize("fmt", FORMATS)
def test_reports_are_inert_as_written(results, fmt):
    """The CLI prints a report without escaping it again: every renderer already did."""
    from taizhang.validator.report import printable, render

    text = render(_fresh(results), fmt, "zh")
    assert printable(text) == text and "\x1b" not in text


def test_jobs_make_the_shares_in_the_workers(tmp_path):
    """With --jobs the shares come back made; the report equals the one made in this process."""
    import shutil

    from taizhang.validator.report import prepare, render
    from taizhang.validator.validate import Options, validate_files

    for i, src in enumerate([EX000, EX002, EX003, EX000_CSV]):
        shutil.copy(src, tmp_path / f"{i}{src.suffix}")
    paths = sorted(tmp_path.iterdir())
    each = partial(prepare, fmt="text", lang="zh")
    parallel = validate_files(paths, Options(), 2, each=each)
    assert all(r.report_part is not None and r.report_part[:2] == ("text", "zh") for r in parallel)
    serial = validate_files(paths, Options())
    assert render(parallel, "text", "zh") == render(serial, "text", "zh")
