"""Numbered items into sections, tasks and sub-items, and each task into its parts.

The task level is the highest level whose items mostly end in a unit clause; levels above it are
sections (→ 任务分类), levels below are sub-items, and sub-items may also be inline. A task is
split into its title (first sentence), its content and its unit clause.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .notice_deadlines import proposed_deadlines
from .notice_items import Item
from .notice_model import SubItem, Task, Units
from .notice_numbering import INLINE, MARKER_AT_START, cn_to_int
from .notice_units import bracket_depth, split_units

if TYPE_CHECKING:
    from taizhang.validator.units import Registry


def build_tasks(items: list[Item], registry: "Registry", year: int | None) -> tuple[list[str], list[Task]]:
    """Decide which numbering level holds the tasks, then build sections, tasks and sub-items."""
    if not items:
        return [], []
    ranks = sorted({i.rank for i in items})
    task_rank = None
    for rank in ranks:
        level = [i for i in items if i.rank == rank]
        if sum(1 for i in level if i.units) * 2 >= len(level):
            task_rank = rank
            break
    if task_rank is None:  # no unit clauses at all: the level under the headings
        task_rank = ranks[1] if len(ranks) > 1 and ranks[0] == 0 else ranks[0]
    headings: dict[int, str] = {}
    sections: list[str] = []
    tasks: list[Task] = []
    for item in items:
        if item.rank < task_rank:
            headings = {r: h for r, h in headings.items() if r < item.rank}
            headings[item.rank] = _heading(item)
            label = " ".join(headings[r] for r in sorted(headings))
            if label not in sections:
                sections.append(label)
        elif item.rank == task_rank:
            section = " ".join(headings[r] for r in sorted(headings)) or None
            tasks.append(_task(item, section, registry, year))
        elif tasks:  # a sub-item paragraph under the last task
            task = tasks[-1]
            text, units = item.body, item.units
            task.body += "\n" + item.marker + item.text
            if item.rank > task_rank + 1 and task.sub_items:
                task.sub_items[-1].text += item.marker + text  # deeper levels stay inside their sub-item
                continue
            task.sub_items.append(SubItem(item.number, text, units, proposed_deadlines(text, year)))
        # a lower-level item before any task is left out of the ledger; it is still in `items`
    for task in tasks:  # a task without its own clause answers with its sub-items' units
        if not task.units and task.sub_items:
            merged = Units(clause="")
            for sub in task.sub_items:
                merged.lead += [u for u in sub.units.lead if u not in merged.lead]
                merged.co += [u for u in sub.units.co if u not in merged.co]
                merged.roles = merged.roles or sub.units.roles
            merged.co = [u for u in merged.co if u not in merged.lead]
            task.units = merged
    return sections, tasks


def _heading(item: Item) -> str:
    """A heading as written with its number (一、稳步推进…), without any introduction after it."""
    marker = {0: f"{item.number}、", 1: f"（{item.number}）", 2: f"{item.number}.", 3: f"（{item.number}）"}
    return marker.get(item.rank, item.number) + item.pieces[0]


def _task(item: Item, section: str | None, registry: "Registry", year: int | None) -> Task:
    body = item.body
    subs = _inline_sub_items(body)
    lead_in = body[:subs[0][0]] if subs else body
    sub_items = []
    for start, end, number in subs:
        text = body[start:end].strip()
        text = MARKER_AT_START.sub("", text, count=1).strip()
        sub_body, units = split_units(text, registry)
        sub_items.append(SubItem(number, sub_body.rstrip("；;"), units, proposed_deadlines(sub_body, year)))
    title, content = split_title(lead_in)
    return Task(
        number=item.number, section=section, title=title, content=content, units=item.units,
        sub_items=sub_items, deadlines=proposed_deadlines(lead_in, year), line=item.line, body=body.strip(),
    )


def _inline_sub_items(body: str) -> list[tuple[int, int, str]]:
    """(start, end, number) of inline numbered sub-items 1,2,3… (at least two, in order)."""
    marks = []
    for m in INLINE.finditer(body):
        if bracket_depth(body[:m.start()]) > 0:
            continue
        number = m.group(1) or m.group(2) or m.group(3)
        marks.append((m.start(), cn_to_int(number) or 0, number, bool(m.group(3)), bool(m.group(2))))
    # the longest run 1, 2, 3… of one marker style
    best: list = []
    for style in {(m[3], m[4]) for m in marks}:
        run: list = []
        for m in marks:
            if (m[3], m[4]) != style:
                continue
            if m[1] == len(run) + 1:
                run.append(m)
        if len(run) >= 2 and len(run) > len(best):
            best = run
    return [(m[0], best[i + 1][0] if i + 1 < len(best) else len(body), m[2]) for i, m in enumerate(best)]


def split_title(text: str) -> tuple[str, str]:
    """(first sentence without its 。, the rest). Brackets and quotes do not end a sentence."""
    depth = 0
    for i, ch in enumerate(text):
        if ch in "（(《“‘「【":
            depth += 1
        elif ch in "）)》”’」】" and depth:
            depth -= 1
        elif ch == "。" and depth == 0:
            return text[:i].strip(), text[i + 1:].strip()
    return text.strip().rstrip("；;。"), ""
