"""The finding catalogue: every problem taizhang reports, with a stable code.

Codes are the public contract (like ruff's rule codes): outputs, CI configs and the add-in key on
them, so a code is never renamed lightly. A `Rule` holds what is true of every finding of a kind
(severity, message templates in Chinese and English, documentation); a `Finding` holds only the
facts of one occurrence. Every output format renders the same list of findings.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Literal, Mapping

Severity = Literal["error", "warning"]
Lang = Literal["zh", "en"]


@dataclass(frozen=True, slots=True)
class Rule:
    code: str
    severity: Severity
    title_zh: str
    title_en: str
    template_zh: str
    template_en: str
    why_zh: str
    why_en: str
    example: str
    fix_zh: str
    fix_en: str

    def title(self, lang: Lang = "zh") -> str:
        return self.title_zh if lang == "zh" else self.title_en

    def sample(self, lang: Lang = "zh") -> str:
        """The message template with its placeholders named, for `taizhang rules CODE`."""
        names = {"cell": "〈单元格〉", "column": "〈列名〉", "value": "〈填写的内容〉"} if lang == "zh" else \
            {"cell": "<cell>", "column": "<column>", "value": "<value>"}

        class _Named(dict):
            def __missing__(self, key: str) -> str:
                return f"〈{key}〉" if lang == "zh" else f"<{key}>"

        return (self.template_zh if lang == "zh" else self.template_en).format_map(_Named(names))


# Placeholders every template may use: {column} {cell} {value}, plus the rule's own params.
_RULES: tuple[Rule, ...] = (
    Rule(
        "missing-value", "error", "必填项为空", "Required value missing",
        "「{column}」是必填项，{cell} 为空", "'{column}' is required but {cell} is empty",
        "台账的必填列（如改革事项、完成时限）为空时，这一行无法跟踪和汇总。",
        "A row without its required columns cannot be tracked or rolled up.",
        "改革事项列为空", "填写该单元格，或确认这一行是否应当删除。",
        "Fill the cell in, or delete the row if it is not a real item.",
    ),
    Rule(
        "missing-column", "error", "缺少列", "Column missing",
        "表头（第 {header_row} 行）中没有「{column}」列", "The header (row {header_row}) has no '{column}' column",
        "台账类型要求的列被删掉或改了名，这一列的检查就无法进行，合并和汇总也找不到它。",
        "A column the ledger type requires was deleted or renamed: nothing in it can be checked or merged.",
        "删除了联系人、联系电话两列", "恢复该列，或把表头改回类型定义中的名称或别名（taizhang types）。",
        "Restore the column, or rename its header to a name or alias of the type (taizhang types).",
    ),
    Rule(
        "duplicate-key", "error", "序号重复", "Duplicate key",
        "序号「{value}」已在第 {first_row} 行用于另一项任务", "Key '{value}' is already used by another task in row {first_row}",
        "序号标识一项任务；两项任务同一序号时，合并和汇总会把它们混在一起。",
        "The key identifies a task; two tasks sharing one are mixed up by merge and roll-up.",
        "两项不同的任务都编为 3", "给后一项任务改用未用过的序号。",
        "Give the second task an unused key.",
    ),
    Rule(
        "key-sequence", "warning", "序号不连续", "Key out of sequence",
        "序号「{value}」应为 {expected}（跳号或倒序）", "Key '{value}' should be {expected} (skipped or out of order)",
        "跳号或倒序往往意味着漏了一行任务或复制时出错。",
        "A skipped or backwards key often means a lost task or a copy-paste slip.",
        "1, 2, 4", "核对是否漏了任务；如确为有意编号可忽略。",
        "Check for a missing task; ignore if the numbering is intended.",
    ),
    Rule(
        "formula-in-cell", "warning", "文本列中有公式", "Formula in a text cell",
        "{cell} 是公式「{value}」，此列应填写文字", "{cell} holds the formula '{value}' where text is expected",
        "文本列中的公式在复制、分发后可能失效或显示错误值。",
        "A formula in a text column breaks when the ledger is copied or split.",
        "=A3", "把公式替换为它要表达的文字。", "Replace the formula with the text it stands for.",
    ),
    Rule(
        "invalid-deadline", "error", "完成时限无效", "Invalid deadline",
        "「{value}」不是有效日期：{detail}", "'{value}' is not a valid date: {detail}",
        "不存在的日期（13月、2月30日）无法排期，汇总时也无法判断是否逾期。",
        "A date that does not exist cannot be scheduled or checked for being overdue.",
        "13月底；2月30日", "改为实际的日期，如“12月底”“2月28日”。",
        "Write a real date, such as 12月底 or 2月28日.",
    ),
    Rule(
        "unparsed-deadline", "warning", "完成时限无法识别", "Deadline not recognised",
        "「{value}」中没有可识别的日期", "No recognisable date in '{value}'",
        "没有日期的完成时限无法判断逾期；写成“6月底前”“持续推进”等形式即可识别。",
        "A deadline without a date cannot be checked for being overdue.",
        "尽快", "写明时间节点，如“6月底前”，长期工作写“持续推进”。",
        "State a date such as 6月底前, or 持续推进 for ongoing work.",
    ),
    Rule(
        "deadline-year-unknown", "warning", "无法确定年份", "Year unknown",
        "「{value}」没有写年份，台账标题中也找不到年份", "'{value}' has no year and the ledger's title names none",
        "“6月底”属于哪一年取决于台账年份；标题没有年份时请用 --year 指定。",
        "Which year 6月底 means depends on the ledger's year; pass --year when the title has none.",
        "6月底（标题无年份）", "在标题中写明年份，或运行时加 --year。",
        "Put the year in the title or pass --year.",
    ),
    Rule(
        "unknown-unit", "error", "未知单位", "Unknown unit",
        "「{unit}」不在单位名录中{suggestion}", "'{unit}' is not in the unit registry{suggestion}",
        "单位名称写法不一会让分发和汇总把同一单位当成两个。",
        "A unit written several ways is counted as several units by split and roll-up.",
        "卫建局（应为 卫健局）", "使用名录中的规范名称或别名；新单位请加入名录（--units）。",
        "Use the registry's name or an alias; add new units to the registry (--units).",
    ),
    Rule(
        "renamed-unit", "warning", "单位已更名", "Unit renamed",
        "「{unit}」已于 {renamed_on} 更名为「{renamed_to}」", "'{unit}' was renamed '{renamed_to}' on {renamed_on}",
        "机构改革后仍用旧名，上报时会与新名称对不上。",
        "An old name after an institutional reform no longer matches reports upward.",
        "2019 年台账中的 市卫生计生委", "改用新名称。", "Use the new name.",
    ),
    Rule(
        "missing-unit", "error", "缺少责任单位", "Unit missing",
        "{cell} 未填写「{column}」", "{cell} names no unit in '{column}'",
        "没有责任单位的任务无人负责，分发时也无处可发。",
        "A task without a responsible unit has no owner and cannot be split out.",
        "责任单位为空", "填写责任单位。", "Name the responsible unit.",
    ),
    Rule(
        "missing-contact", "error", "缺少联系人", "Contact missing",
        "{cell} 未填写联系人（本行有任务或成果，须明确联系人）", "{cell} names no contact although the row has a task or deliverable",
        "没有联系人，催办和核实进度时找不到人。", "Without a contact nobody can be chased for progress.",
        "联系人为空", "填写负责这一项的联系人姓名。", "Write the name of the person responsible.",
    ),
    Rule(
        "missing-phone", "error", "缺少联系电话", "Phone missing",
        "{cell} 未填写联系电话", "{cell} has no phone number",
        "有联系人而无电话，仍然无法催办。", "A contact without a phone cannot be reached.",
        "联系人 张三，电话为空", "填写联系电话。", "Write the phone number.",
    ),
    Rule(
        "invalid-phone", "error", "电话号码无效", "Invalid phone number",
        "「{phone}」不是有效的电话号码：{detail}", "'{phone}' is not a valid phone number: {detail}",
        "位数不对的号码打不通。", "A number with the wrong length cannot be dialled.",
        "3905222（少一位）", "核对号码位数；座机写 8 位号码或带区号，手机写 11 位。",
        "Check the digits: 8-digit local numbers or with area code, 11-digit mobiles.",
    ),
    Rule(
        "contact-phone-mismatch", "warning", "联系人与电话数量不符", "Contacts and phones do not match",
        "{contacts} 位联系人对应 {phones} 个电话", "{contacts} contacts but {phones} phone numbers",
        "多位联系人时应各有电话，按顺序对应。", "Several contacts need one phone each, in the same order.",
        "王宏彦 丁向芳 / 39052221", "为每位联系人写一个电话，顺序一致。",
        "Give each contact a phone, in the same order.",
    ),
    Rule(
        "invalid-contact-name", "warning", "联系人姓名可疑", "Suspicious contact name",
        "「{name}」不像人名（应为 2–4 个汉字）", "'{name}' does not look like a name (2-4 Han characters expected)",
        "联系人列写成单位名、电话或说明文字时，无法找到具体的人。",
        "A unit, a number or a remark in the contact column does not name a person.",
        "办公室", "写具体联系人姓名。", "Write the person's name.",
    ),
    Rule(
        "invalid-amount", "error", "金额不是数字", "Amount is not a number",
        "「{column}」应填写数字，{cell} 为「{value}」", "'{column}' takes a number but {cell} holds '{value}'",
        "投资、资金等金额列要合计；写成“约500”“待定”或换了单位（1.2亿）的格，Excel 求和时会被悄悄跳过。",
        "Amount columns are summed; text such as 约500, 待定 or another unit (1.2亿) is silently skipped by Excel.",
        "总投资（万元）填“约500”", "填写以表头单位（如万元）计的数字，如 500 或 1200.5；没有则留空。",
        "Write a number in the header's unit (e.g. 万元), such as 500 or 1200.5; leave it empty if there is none.",
    ),
    Rule(
        "no-unit-registry", "warning", "没有覆盖这些单位的名录", "No registry covers these units",
        "本台账用到的 {total} 个单位中有 {unknown} 个不在任何单位名录中（如{examples}）：没有名录覆盖本地单位。"
        "用 taizhang units init 台账文件 -o 单位名录.csv 生成名录，核对后校验时加 --units 单位名录.csv",
        "{unknown} of the {total} units this ledger names are in no registry (e.g. {examples}): no registry covers "
        "them. Run taizhang units init LEDGER -o units.csv, review the file, then validate with --units units.csv",
        "内置名录只覆盖示例中的城市；其他地方的台账几乎每个单位都“未知”，逐个报告只会淹没真正的问题。",
        "The built-in registries cover the example cities only; elsewhere nearly every unit is unknown, and one "
        "finding per unit would bury the real problems.",
        "某县整改台账的 县住建局、县水利局……都不在内置名录中",
        "用 taizhang units init 从台账生成名录文件，核对（合并同一单位的不同写法为别名）后用 --units 传入。",
        "Generate a registry with taizhang units init, review it (make other spellings of one unit aliases), "
        "and pass it with --units.",
    ),
)

RULES: Mapping[str, Rule] = {r.code: r for r in _RULES}

# Problems that stop a whole file from being read; reported in the file's `error`, not as findings.
FILE_ERRORS: Mapping[str, tuple[str, str]] = {
    "unreadable-file": ("无法读取文件", "File cannot be read"),
    "header-not-found": ("找不到台账表头", "Ledger header not found"),
    "sheet-not-found": ("找不到工作表", "Sheet not found"),
    "unknown-type": ("未知台账类型", "Unknown ledger type"),
    "internal-error": ("taizhang 内部错误", "taizhang internal error"),
}

# What `taizhang rules CODE` says of each file error: (why zh, why en, example, fix zh, fix en).
FILE_ERROR_DOCS: Mapping[str, tuple[str, str, str, str, str]] = {
    "unreadable-file": (
        "文件损坏、设有打开密码、不是表格（如改了扩展名的文档）或大得可疑时，无法安全读取。",
        "A damaged, password-protected, non-spreadsheet or suspiciously large file cannot be read safely.",
        "邮件附件只下载了一半的 台账.xlsx",
        "在 Excel 或 WPS 中打开并另存为 .xlsx；去掉打开密码；确认发来的是台账本身。",
        "Open it in Excel or WPS and save it as .xlsx again; remove the opening password; check it is the ledger.",
    ),
    "header-not-found": (
        "找不到表头，就不知道哪一列是责任单位、哪一列是完成时限，无法检查。",
        "Without a header row nothing tells which column holds units or deadlines.",
        "表头被删除，或表头写成了「事项一」「事项二」",
        "恢复表头行（序号、改革事项、责任单位、完成时限……），或用 --sheet 指定台账所在的工作表。",
        "Restore the header row (序号, 改革事项, 责任单位, 完成时限 ...), or pick the sheet with --sheet.",
    ),
    "sheet-not-found": (
        "--sheet 指定的工作表在文件中不存在。", "The sheet named with --sheet is not in the file.",
        "--sheet 台账 而工作表名为「工作台账」", "用文件中实际的工作表名称或序号（从 0 开始）。",
        "Use the sheet's real name or its 0-based number.",
    ),
    "unknown-type": (
        "--type 给出的台账类型既不是内置类型，也不是可读取的 YAML 文件。",
        "The --type given is neither a built-in type nor a readable YAML file.",
        "--type reform（应为 reform-ledger）", "运行 taizhang types 查看内置类型，或给出类型定义文件的路径。",
        "Run taizhang types for the built-in types, or give the path of a type file.",
    ),
    "internal-error": (
        "taizhang 自身的缺陷；只影响这一个文件，其他文件照常校验。",
        "A bug in taizhang; only this file is affected, the others are still checked.",
        "taizhang 内部错误（KeyError: …）", "设置 TAIZHANG_DEBUG=1 重新运行，把输出和文件（如可提供）报告给维护者。",
        "Run again with TAIZHANG_DEBUG=1 and report the output (and the file, if you can) to the maintainers.",
    ),
}


@dataclass(frozen=True, slots=True)
class Problem:
    """What a field check found in one value, before it is tied to a cell."""

    code: str
    params: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Finding:
    """One occurrence of a rule, tied to the cell the user sees."""

    code: str
    sheet: str
    row: int | None
    column: str | None
    cell: str | None
    value: Any = None
    params: Mapping[str, Any] = field(default_factory=dict)

    @property
    def rule(self) -> Rule:
        return RULES[self.code]

    @property
    def severity(self) -> Severity:
        return RULES[self.code].severity

    def message(self, lang: Lang = "zh") -> str:
        rule = RULES[self.code]
        template = rule.template_zh if lang == "zh" else rule.template_en
        params = {"column": self.column or "", "cell": self.cell or "", "value": _short(self.value)}
        for key, val in self.params.items():
            params[key] = val.get(lang, "") if isinstance(val, dict) else val
        try:
            return template.format(**params)
        except (KeyError, IndexError):
            return f"{rule.title(lang)}: {params['value']}"

    def to_dict(self, lang: Lang = "zh") -> dict[str, Any]:
        return {
            "code": self.code,
            "severity": self.severity,
            "sheet": self.sheet,
            "row": self.row,
            "column": self.column,
            "cell": self.cell,
            "value": _jsonable(self.value),
            "message": self.message(lang),
        }


def _short(value: Any, limit: int = 40) -> str:
    text = "" if value is None else str(value)
    text = text.replace("\n", " ")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


@lru_cache(maxsize=1024)  # called for every finding: a ledger has a handful of columns
def col_letter(index: int) -> str:
    """1-based column index to Excel letters (1 -> A, 27 -> AA)."""
    letters = ""
    while index > 0:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters
