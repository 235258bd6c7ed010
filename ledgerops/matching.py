"""Match the rows of a returned ledger to the rows of the master: by key and content, never by position.

Offices insert rows, delete the title row, re-sort, unmerge and save as .xls, so a row's position
says nothing. What stays is what they may not edit: the task's key (序号) and the locked text of
the sub-item (成果形式, 完成时限 ...). Matching runs in tiers, cheapest first:

1. exact: key, task-level and item-level locked text all equal;
2. the item's locked text alone equal (the key or task text was lost, e.g. by unmerging and
   re-sorting, which makes the reader fill task values down into the wrong task);
3. similar: difflib ratio of the item text (weighted 3:1 against the task text, a small bonus for
   the same key), best pairs first, above a threshold: tolerant of light edits.

A row's fingerprint (a short hash of its key and locked text) is what split writes into the
`_taizhang` metadata: it survives merges into the master (which change only editable columns or
add rows) and tells merge which master rows a department's file holds.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from taizhang.validator.reader import Ledger

SIMILAR_THRESHOLD = 0.6
SAME_KEY_BONUS = 0.1
# beyond this many row pairs the cross-key similarity tier is skipped: it is quadratic and a
# submission that differs that much is better reported as new rows than guessed at
MAX_FUZZY_PAIRS = 250_000


@dataclass(slots=True)
class RowMatch:
    """Submission positions -> base positions, and what is left over on each side."""

    pairs: dict[int, int] = field(default_factory=dict)  # submission position -> base position
    similar: set[int] = field(default_factory=set)  # submission positions matched by similarity only
    new: list[int] = field(default_factory=list)  # submission positions with no base row
    missing: list[int] = field(default_factory=list)  # candidate base positions nothing matched


def locked_columns(ledger: "Ledger") -> tuple[list[str], list[str]]:
    """(task-level, item-level) locked column names of a ledger, the key excluded, in type order."""
    task, item = [], []
    for col in ledger.ledger_type.columns:
        if col.editable or col.role == "key" or col.name not in ledger.columns:
            continue
        (task if col.level == "task" else item).append(col.name)
    return task, item


def key_column(ledger: "Ledger") -> str | None:
    col = ledger.column_for_role("key")
    return col.name if col else None


def fingerprints(ledger: "Ledger") -> list[str]:
    """A short hash per row of its key and all locked text: the row's identity across files."""
    key = key_column(ledger)
    task, item = locked_columns(ledger)
    names = ([key] if key else []) + task + item
    out = []
    for pos in range(len(ledger)):
        text = "\x1f".join(ledger.values[n][pos] or "" for n in names)
        out.append(hashlib.sha1(text.encode("utf-8")).hexdigest()[:10])
    return out


CELL_HASH_LEN = 6


def cell_hash(text: str | None) -> str:
    """A short hash of a normalised cell value: enough to tell "unchanged since issued"."""
    return hashlib.sha1((text or "").encode("utf-8")).hexdigest()[:CELL_HASH_LEN]


def editable_columns(ledger: "Ledger") -> list[str]:
    return [c.name for c in ledger.ledger_type.columns if c.editable and c.name in ledger.columns]


def issued_keys(ledger: "Ledger") -> list[str]:
    """Per row "fingerprint:hashes of the editable cells", what split records of each row it sends.

    Merge uses the hashes as the true base of a three-way merge: a cell a department left as
    issued proposes nothing, even if the master has changed since (an earlier merge round), so a
    late submission never reverts what another department already sent.
    """
    editable = editable_columns(ledger)
    cols = [compared_texts(ledger, c) for c in editable]
    return [fp + ":" + "".join(cell_hash(col[pos]) for col in cols) for pos, fp in enumerate(fingerprints(ledger))]


def compared_texts(ledger: "Ledger", column: str) -> list[str | None]:
    """A column's values as merge compares them: a formula cell by its formula, not its cached value.

    The cached value of a formula is whatever the last program to save the file computed (none
    at all after openpyxl), so comparing it would call every untouched formula a change.
    """
    values = ledger.values[column]
    if not ledger.formulas:
        return values
    from taizhang.validator.normalize import normalize_text

    index = ledger.columns[column].index
    origin = ledger.origin[column]
    out = list(values)
    for pos, row in enumerate(origin):
        formula = ledger.formulas.get((row, index))
        if formula is not None:
            out[pos] = normalize_text(formula)
    return out


@dataclass(slots=True)
class IssuedRow:
    fingerprint: str
    hashes: dict[str, str]  # editable column -> hash of the value as issued


def parse_issued(keys: list[str], editable: list[str]) -> dict[str, IssuedRow]:
    """Fingerprint -> what was issued, from split metadata (entries without hashes: fingerprint only)."""
    out: dict[str, IssuedRow] = {}
    for key in keys:
        fp, _, rest = key.partition(":")
        hashes = {}
        if len(rest) == CELL_HASH_LEN * len(editable):
            hashes = {c: rest[i * CELL_HASH_LEN:(i + 1) * CELL_HASH_LEN] for i, c in enumerate(editable)}
        out.setdefault(fp, IssuedRow(fp, hashes))
    return out


def content_hash(ledger: "Ledger") -> str:
    """Hash of the master's locked content: unchanged by merges, changed by editing the ledger itself."""
    h = hashlib.sha256()
    for fp in fingerprints(ledger):
        h.update(fp.encode("ascii"))
    return h.hexdigest()[:16]


def match_rows(base: "Ledger", sub: "Ledger", candidates: set[int] | None = None) -> RowMatch:
    """Pair each row of `sub` with at most one row of `base` (restricted to `candidates` if given)."""
    return Matcher(base).match(sub, candidates)


class Matcher:
    """Matches many submissions against one base; the base's signatures are computed once."""

    def __init__(self, base: "Ledger") -> None:
        self.base = base
        self.key = key_column(base)
        self.task_cols, self.item_cols = locked_columns(base)
        self._sigs: dict[tuple[tuple[str, ...], tuple[str, ...]], list[tuple[str, str, str]]] = {}

    def _base_sigs(self, task_cols: list[str], item_cols: list[str]) -> list[tuple[str, str, str]]:
        k = (tuple(task_cols), tuple(item_cols))
        if k not in self._sigs:
            self._sigs[k] = _signatures(self.base, self.key, task_cols, item_cols)
        return self._sigs[k]

    def match(self, sub: "Ledger", candidates: set[int] | None = None) -> RowMatch:
        task_cols = [c for c in self.task_cols if c in sub.columns]
        item_cols = [c for c in self.item_cols if c in sub.columns]
        all_b = self._base_sigs(task_cols, item_cols)
        base_pos = sorted(candidates) if candidates is not None else list(range(len(self.base)))
        bsig = {p: all_b[p] for p in base_pos}
        ssig = _signatures(sub, key_column(sub), task_cols, item_cols)
        result = RowMatch()
        free_base = dict.fromkeys(base_pos)  # an ordered set

        # tier 1: everything equal
        exact: dict[tuple[str, str, str], list[int]] = defaultdict(list)
        for p in base_pos:
            exact[bsig[p]].append(p)
        todo = []
        for s in range(len(sub)):
            hits = exact.get(ssig[s])
            if hits:
                b = hits.pop(0)
                result.pairs[s] = b
                free_base.pop(b, None)
            else:
                todo.append(s)

        # tier 2: the item's locked text equal (only when there is item text to compare)
        if todo and item_cols:
            by_item: dict[str, list[int]] = defaultdict(list)
            for p in free_base:
                if bsig[p][2].strip("\x1f"):
                    by_item[bsig[p][2]].append(p)
            rest = []
            for s in todo:
                hits = [p for p in by_item.get(ssig[s][2], ()) if p in free_base]
                if not hits or not ssig[s][2].strip("\x1f"):
                    rest.append(s)
                    continue
                b = max(hits, key=lambda p: (bsig[p][0] == ssig[s][0], _ratio(bsig[p][1], ssig[s][1]), -p))
                result.pairs[s] = b
                free_base.pop(b)
            todo = rest

        # tier 3: similar text, same key first, then across keys if affordable
        if todo and free_base:
            same_key_only = len(todo) * len(free_base) > MAX_FUZZY_PAIRS
            scored = []
            for s in todo:
                for b in free_base:
                    if same_key_only and bsig[b][0] != ssig[s][0]:
                        continue
                    score = _score(bsig[b], ssig[s], bool(item_cols))
                    if score >= SIMILAR_THRESHOLD:
                        scored.append((score, -s, -b, s, b))
            scored.sort(reverse=True)
            for _, _, _, s, b in scored:
                if s in result.pairs or b not in free_base:
                    continue
                result.pairs[s] = b
                result.similar.add(s)
                free_base.pop(b)
        result.new = [s for s in range(len(sub)) if s not in result.pairs]
        result.missing = list(free_base)
        return result


def _signatures(ledger: "Ledger", key: str | None, task_cols: list[str],
                item_cols: list[str]) -> list[tuple[str, str, str]]:
    """(key, task text, item text) per row; the key without a trailing "." or "、"."""
    n = len(ledger)
    keys = [(k or "").rstrip(".、") for k in ledger.values[key]] if key else [""] * n

    def joined(cols: list[str]) -> list[str]:
        if not cols:
            return [""] * n
        texts = [[v or "" for v in ledger.values[c]] for c in cols]
        return list(map("\x1f".join, zip(*texts)))

    return list(zip(keys, joined(task_cols), joined(item_cols)))


def _ratio(a: str, b: str) -> float:
    if a == b:
        return 1.0
    if not a or not b:
        return 0.0
    m = SequenceMatcher(None, a, b, autojunk=False)
    if m.real_quick_ratio() < SIMILAR_THRESHOLD * 0.5:
        return 0.0
    return m.ratio()


def _score(b: tuple[str, str, str], s: tuple[str, str, str], has_items: bool) -> float:
    if has_items:
        score = 0.75 * _ratio(b[2], s[2]) + 0.25 * _ratio(b[1], s[1])
    else:
        score = _ratio(b[1], s[1])
    if b[0] and b[0] == s[0]:
        score += SAME_KEY_BONUS
    return min(score, 1.0)
