"""The ordered phrase rules that give each ledger row its status, and why.

Status (done / in_progress / not_started / ongoing) comes from the type's status column when it
has one, else from the progress text and the parsed deadline, by the rules in
`templates/status-rules.yaml`, first match wins. Each decision names the rule and the words it
saw, so a surprising status in the roll-up can be traced and the rules edited rather than the code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from taizhang.validator.ledger_types import TEMPLATES_DIR
from taizhang.validator.normalize import FULLWIDTH_DIGITS

__all__ = ["STATUSES", "Decision", "StatusRule", "StatusRules", "StatusRulesError"]

STATUSES = ("done", "in_progress", "not_started", "ongoing")
RULES_FILE = TEMPLATES_DIR / "status-rules.yaml"
_SPACE = re.compile(r"\s+")


class StatusRulesError(ValueError):
    """The status rules file is malformed; the message names the file and the rule."""


@dataclass(frozen=True, slots=True)
class StatusRule:
    id: str
    status: str
    label: str
    label_en: str = ""
    phrases: tuple[str, ...] = ()
    patterns: tuple[re.Pattern[str], ...] = ()
    deadline: str | None = None  # "done" | "ongoing": matches the parsed deadline state
    empty: bool = False
    missing_column: bool = False
    otherwise: bool = False

    @property
    def is_text_rule(self) -> bool:
        """Rules that look at a text (progress or status cell) rather than at the row's shape."""
        return bool(self.phrases or self.patterns or self.otherwise)

    def find(self, squeezed: str) -> str | None:
        """The words that made this rule match (a phrase, the regex match, "" for otherwise), or None."""
        if not squeezed:
            return None
        if self.otherwise:
            return ""
        for phrase in self.phrases:
            if phrase in squeezed:
                return phrase
        for pattern in self.patterns:
            m = pattern.search(squeezed)
            if m:
                return m.group(0)
        return None

    def text(self, lang: str = "zh") -> str:
        return self.label if lang == "zh" or not self.label_en else self.label_en


def _squeeze(text: str | None) -> str:
    """Text as the rules see it: no whitespace (5 月 31 日 = 5月31日), ASCII digits."""
    if not text:
        return ""
    return _SPACE.sub("", str(text).translate(FULLWIDTH_DIGITS))


class StatusRules:
    """The ordered phrase rules; `decide` gives (status, rule) for one row."""

    def __init__(self, rules: Iterable[StatusRule], path: Path | None = None) -> None:
        self.rules = tuple(rules)
        self.path = path
        self._text_rules = tuple(r for r in self.rules if r.is_text_rule)
        self._cache: dict[tuple[str, str | None, bool], Decision] = {}
        self._decided: dict[tuple[str | None, str | None, str | None, bool], Decision] = {}

    @classmethod
    def load(cls, path: str | Path | None = None) -> "StatusRules":
        import yaml

        path = Path(path) if path else RULES_FILE
        try:
            doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError) as exc:
            raise StatusRulesError(f"{path}：无法读取状态规则文件（{exc}）") from None
        except yaml.YAMLError as exc:
            raise StatusRulesError(f"{path}：状态规则文件不是有效的 YAML（{exc}）") from None
        raw = doc.get("rules") if isinstance(doc, dict) else None
        if not isinstance(raw, list) or not raw:
            raise StatusRulesError(f"{path}：状态规则文件须包含非空的 rules 列表")
        return cls([_parse_rule(r, i, path) for i, r in enumerate(raw, 1)], path)

    def decide(self, *, status_text: str | None, progress_text: str | None, deadline_state: str | None,
               has_progress: bool) -> "Decision":
        """The status of one row and why: the deciding rule, where it looked, the words it saw.

        A row no rule matches is not started with rule None; the shipped rules end with a
        catch-all, so that only happens with a user's own rules.
        """
        raw = (status_text, progress_text, deadline_state, has_progress)
        decision = self._decided.get(raw)
        if decision is None:  # the same cells decide the same way: texts are squeezed once
            decision = self._decided[raw] = self._decide(*raw)
        return decision

    def _decide(self, status_text: str | None, progress_text: str | None, deadline_state: str | None,
                has_progress: bool) -> "Decision":
        squeezed = _squeeze(status_text)
        if squeezed:
            for rule in self._text_rules:
                found = rule.find(squeezed)
                if found is not None:
                    return Decision(rule.status, rule, "status", found)
        key = (_squeeze(progress_text), deadline_state, has_progress)
        if key not in self._cache:
            self._cache[key] = self._first(*key)
        return self._cache[key]

    def _first(self, progress: str, deadline_state: str | None, has_progress: bool) -> "Decision":
        for rule in self.rules:
            if rule.deadline is not None:
                if rule.deadline == deadline_state:
                    return Decision(rule.status, rule, "deadline", "")
            elif rule.missing_column:
                if not has_progress:
                    return Decision(rule.status, rule, "progress", "")
            elif rule.empty:
                if has_progress and not progress:
                    return Decision(rule.status, rule, "progress", "")
            else:
                found = rule.find(progress)
                if found is not None:
                    return Decision(rule.status, rule, "progress", found)
        return Decision("not_started", None, "progress", "")


@dataclass(frozen=True, slots=True)
class Decision:
    status: str
    rule: StatusRule | None
    source: str  # "status" (the status column), "progress" or "deadline"
    evidence: str  # the phrase or regex match that decided, "" when the rule needs none


def _parse_rule(raw: object, index: int, path: Path) -> StatusRule:
    where = f"{path}：第 {index} 条规则"
    if not isinstance(raw, dict):
        raise StatusRulesError(f"{where}不是键值表")
    rule_id = str(raw.get("id") or "").strip()
    if not rule_id:
        raise StatusRulesError(f"{where}缺少 id")
    status = raw.get("status")
    if status not in STATUSES:
        raise StatusRulesError(f"{where}（{rule_id}）的 status「{status}」无效，可用：{'、'.join(STATUSES)}")
    deadline = raw.get("deadline")
    if deadline is not None and deadline not in ("done", "ongoing"):
        raise StatusRulesError(f"{where}（{rule_id}）的 deadline 只能是 done 或 ongoing")
    patterns = []
    for p in raw.get("patterns") or ():
        try:
            patterns.append(re.compile(str(p)))
        except re.error as exc:
            raise StatusRulesError(f"{where}（{rule_id}）的正则表达式「{p}」无效（{exc}）") from None
    rule = StatusRule(
        id=rule_id, status=status, label=str(raw.get("label") or rule_id), label_en=str(raw.get("label_en") or ""),
        phrases=tuple(_squeeze(str(p)) for p in raw.get("phrases") or () if _squeeze(str(p))),
        patterns=tuple(patterns), deadline=deadline, empty=bool(raw.get("empty")),
        missing_column=bool(raw.get("missing_column")), otherwise=bool(raw.get("otherwise")),
    )
    conditions = sum([rule.deadline is not None, rule.empty, rule.missing_column, rule.otherwise,
                      bool(rule.phrases or rule.patterns)])
    if conditions != 1:
        raise StatusRulesError(
            f"{where}（{rule_id}）须有且只有一种命中条件：deadline、missing_column、empty、phrases/patterns 或 otherwise")
    return rule
