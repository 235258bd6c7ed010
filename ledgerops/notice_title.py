"""The notice's title (关于…的通知) and year (from its document number or signing date)."""

from __future__ import annotations

import re

from .notice_blocks import Para
from .notice_items import Item, clean_line
from .notice_model import NoticeTable

ATTACHMENT = re.compile(r"^附件\s*[\d一二三四五六七八九十]*\s*[:：]?\s*$")
_DOC_NUMBER = re.compile(r"〔\s*(\d{4})\s*〕\s*\d+\s*号|\[\s*(\d{4})\s*\]\s*\d+\s*号")
_SIGN_DATE = re.compile(r"^\s*(\d{4})\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日\s*$")


def find_title(paras: list[Para], items: list[Item], tables: list[NoticeTable]) -> str | None:
    """The document title: short unpunctuated lines before the first task (关于…的通知).

    A title a text export spread over several lines (blank lines between) is joined again; the
    issuer line (…文件), the document number, the addressee (…：) and long prose break it off.
    """
    if tables and not items:
        return tables[0].title
    first = items[0].line if items else (tables[0].line if tables else 10**9)
    candidates: list[list[str]] = []
    run: list[str] = []
    for p in paras:
        if p.line >= first:
            break
        text = clean_line(p.text)
        if not text:
            continue
        if (len(text) > 60 or text.endswith(("。", "：", ":", "；", "，")) or _DOC_NUMBER.search(text)
                or ATTACHMENT.match(text) or text.endswith("文件") or _SIGN_DATE.match(text)):
            if run:
                candidates.append(run)
                run = []
            continue
        run.append(text)
    if run:
        candidates.append(run)
    if not candidates:
        return None
    for c in candidates:  # the one that names the document type wins
        joined = "".join(c)
        if re.search(r"(通知|方案|意见|要点|安排|计划|台账|台帐|清单|分工|报告|任务)$", joined):
            return joined
    return "".join(candidates[0])


def year_from_text(paras: list[Para]) -> int | None:
    """The document number's year (大医改办〔2018〕5号), else the signing date's."""
    for p in paras:
        m = _DOC_NUMBER.search(p.text)
        if m and len(p.text.strip()) < 40:
            return int(m.group(1) or m.group(2))
    for p in reversed(paras):
        m = _SIGN_DATE.match(clean_line(p.text))
        if m:
            return int(m.group(1))
    return None
