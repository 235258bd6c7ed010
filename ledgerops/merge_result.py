"""What a merge did (MergeResult: the report, the summary, the exit code) and the names it uses."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import LedgerOpError

if TYPE_CHECKING:
    from taizhang.validator.findings import Finding

    from .keep import Unkept

LOG_SHEET = "合并记录"
CONFLICT_SHEET = "冲突"
IGNORED_NAMES = {"thumbs.db", "desktop.ini"}

SKIP_REASONS = {
    "not-a-spreadsheet": ("不是表格文件", "not a spreadsheet"),
    "unreadable-file": ("文件无法读取", "unreadable file"),
    "wrong-ledger": ("不是这份台账", "not this ledger"),
}


class MergeError(LedgerOpError):
    """A usage problem (OUT is not .xlsx, unknown type); messages in Chinese and English."""


@dataclass(slots=True)
class MergeResult:
    """What a merge did. Lists hold report-ready dicts; `to_dict()` is the --report JSON."""

    master: Path
    out: Path
    applied: list[dict[str, Any]] = field(default_factory=list)
    rejected: list[dict[str, Any]] = field(default_factory=list)
    conflicts: list[dict[str, Any]] = field(default_factory=list)
    new_rows: list[dict[str, Any]] = field(default_factory=list)
    skipped: list[dict[str, Any]] = field(default_factory=list)  # message in zh and en, rendered by lang
    dropped: list[dict[str, Any]] = field(default_factory=list)  # rows a submission left out: a warning
    findings: list["Finding"] = field(default_factory=list)  # validate's findings for OUT
    changed_cells: set[str] = field(default_factory=set)  # A1 cells of OUT this merge wrote
    merged: list[str] = field(default_factory=list)  # sources that were merged
    expected: list[str] = field(default_factory=list)  # departments the split metadata names
    missing: list[str] = field(default_factory=list)  # ... that sent nothing
    backup: Path | None = None  # the copy of MASTER kept when OUT is MASTER
    unkept: list["Unkept"] = field(default_factory=list)  # what of MASTER openpyxl could not carry into OUT

    @property
    def errors(self) -> int:
        return sum(1 for f in self.findings if f.severity == "error")

    @property
    def changed_errors(self) -> int:
        """Error findings in cells this merge wrote: what the merge itself brought in."""
        return sum(1 for f in self.findings if f.severity == "error" and f.cell in self.changed_cells)

    def exit_code(self, strict: bool = False) -> int:
        """0 nothing to attend to; 1 conflicts, rejected changes, skipped files or errors in cells this
        merge changed (with `strict`, errors anywhere in OUT, as the master may have had them before)."""
        errors = self.errors if strict else self.changed_errors
        return 1 if (self.conflicts or self.rejected or self.skipped or errors) else 0

    def summary_text(self, lang: str = "zh", limit: int = 10) -> str:
        """The short summary the terminal shows (and the add-in may show); at most `limit` lines a list."""
        zh = lang == "zh"
        added = sum(1 for r in self.new_rows if r["added"])
        warnings = sum(1 for f in self.findings if f.severity == "warning")
        in_changed = sum(1 for f in self.findings if f.cell in self.changed_cells)
        lines = [f"合并完成：{self.out}" if zh else f"Merged into {self.out}",
                 (f"  报送文件：合并 {len(self.merged)} 份，跳过 {len(self.skipped)} 份" if zh else
                  f"  submissions: {len(self.merged)} merged, {len(self.skipped)} skipped"),
                 (f"  已应用修改 {len(self.applied)} 处；未应用（锁定列）{len(self.rejected)} 处；冲突 {len(self.conflicts)} 处；"
                  f"新增行 {len(self.new_rows)} 行（已添加 {added} 行）" if zh else
                  f"  applied {len(self.applied)}; rejected (locked column) {len(self.rejected)}; "
                  f"conflicts {len(self.conflicts)}; new rows {len(self.new_rows)} ({added} added)")]

        def section(title: str, items: list[str]) -> None:
            if not items:
                return
            lines.append(f"  {title}：" if zh else f"  {title}:")
            lines.extend(f"    {i}" for i in items[:limit])
            if len(items) > limit:
                lines.append(f"    …… 另有 {len(items) - limit} 项，见「{LOG_SHEET}」" if zh else
                             f"    ... {len(items) - limit} more, see sheet {LOG_SHEET}")

        section("冲突（保留原值）" if zh else "conflicts (base kept)",
                [f"{c['cell']} {c['column']}：" + "；".join(f"{p['source']}「{clip(p['value'], 20)}」"
                                                          for p in c["proposals"]) if zh else
                 f"{c['cell']} {c['column']}: " + "; ".join(f"{p['source']} '{clip(p['value'], 20)}'"
                                                          for p in c["proposals"]) for c in self.conflicts])
        section("未应用（锁定列）" if zh else "rejected (locked column)",
                [f"{r['cell']} {r['column']}（{r['source']}）" if zh else f"{r['cell']} {r['column']} ({r['source']})"
                 for r in self.rejected])
        section("跳过的文件" if zh else "skipped files",
                [f"{s['path']}：{s['message'][0]}" if zh else f"{s['path']}: {s['message'][1]}" for s in self.skipped])
        if self.new_rows and not added:
            lines.append("  新增行未添加到总表；确认后加 --accept-new-rows 重新合并" if zh else
                         "  new rows were not added; merge again with --accept-new-rows to add them")
        section("报送中缺少的行（未删除）" if zh else "rows missing from a submission (not deleted)",
                [f"第 {d['row']} 行（{d['source']}）" if zh else f"row {d['row']} ({d['source']})" for d in self.dropped])
        if self.missing:
            lines.append(("  未报送：" if zh else "  not submitted: ") + ("、" if zh else ", ").join(self.missing))
        section("总台账中无法保留到输出的内容" if zh else "in the master but not kept in the output",
                [u.text(lang) for u in self.unkept])
        lines.append(f"  校验输出：{self.errors} 个错误，{warnings} 个警告（{in_changed} 个在本次修改的单元格）" if zh else
                     f"  validation of the output: {self.errors} errors, {warnings} warnings "
                     f"({in_changed} in cells this merge changed)")
        if self.backup is not None:
            lines.append(f"  原总台账已备份为：{self.backup}" if zh else f"  the master was backed up to {self.backup}")
        return "\n".join(lines) + "\n"

    def to_dict(self, lang: str = "zh") -> dict[str, Any]:
        skipped = [{"path": s["path"], "reason": s["reason"], "message": s["message"][lang == "en"]}
                   for s in self.skipped]
        findings = []
        for f in self.findings:
            d = f.to_dict(lang)
            d["changed"] = f.cell in self.changed_cells
            findings.append(d)
        return {
            "master": str(self.master), "out": str(self.out),
            "applied": self.applied, "rejected": self.rejected, "conflicts": self.conflicts,
            "new_rows": self.new_rows, "skipped": skipped, "findings": findings, "dropped": self.dropped,
            "merged": self.merged, "expected": self.expected, "missing": self.missing,
            "backup": None if self.backup is None else str(self.backup),
            "not_kept": [u.to_dict(lang) for u in self.unkept],
            "summary": {"applied": len(self.applied), "rejected": len(self.rejected),
                        "conflicts": len(self.conflicts), "new_rows": len(self.new_rows),
                        "skipped": len(self.skipped), "dropped": len(self.dropped), "errors": self.errors,
                        "warnings": sum(1 for f in self.findings if f.severity == "warning")},
        }


def clip(text: str | None, limit: int = 120) -> str:
    if text is None:
        return "（空）"
    text = text.replace("\n", " ")
    return text if len(text) <= limit else text[: limit - 1] + "…"
