"""``ztkit diff``: what changes between two rendered plans, for people and for CI."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from ztkit.manifest_diff import (
    DiffGroup,
    FieldChange,
    ObjectChange,
    Plan,
    PlanDiff,
    PlanObject,
    diff_directories,
    group_by_app_and_phase,
)

MARKDOWN_LIMIT = 30_000
"""Characters a Markdown diff may take: two stacks fit one pull-request
comment (GitHub's limit is 65,536)."""
INLINE_FIELDS = 3
"""A changed object lists this many field paths in line; more go in a
collapsed section."""
OPEN_OBJECTS = 20
"""Up to this many objects the Markdown shows the details open."""
LISTED_REMOVALS = 20
VALUE_WIDTH = 60


def add_parser(commands: Any) -> None:
    """Add ``ztkit diff``."""
    diff = commands.add_parser(
        "diff",
        help="compare two rendered plans: objects added, removed and changed",
        description="Compare two directories written by 'ztkit plan --out': which "
        "Kubernetes objects the change adds, removes (pulumi up deletes them) and "
        "changes, and which fields.",
    )
    diff.add_argument("old", type=Path, metavar="OLD", help="the plan before")
    diff.add_argument("new", type=Path, metavar="NEW", help="the plan after")
    diff.add_argument(
        "--format",
        choices=("text", "json", "markdown"),
        default="text",
        help="text for a terminal, json for tools, markdown for a pull-request "
        "comment (default: text)",
    )
    diff.add_argument(
        "--inventory",
        type=Path,
        metavar="PATH",
        help="the inventory whose apps stand in as workloads when judging what the "
        "NetworkPolicies open and close (default: the one NEW was rendered from)",
    )
    diff.set_defaults(run=run_diff)


def run_diff(arguments: argparse.Namespace) -> int:
    """Compare the two plans and print the differences."""
    from ztkit.connection_diff import (
        connection_changes,
        connections_markdown,
        connections_text,
        plan_inventory,
    )

    diff = diff_directories(arguments.old, arguments.new)
    inventory = arguments.inventory or plan_inventory(arguments.new)
    connections = connection_changes(arguments.old, arguments.new, inventory)

    if arguments.format == "json":
        result = diff.as_json()
        result["connections"] = connections.as_json() if connections else None
        sys.stdout.write(json.dumps(result, indent=2, default=str) + "\n")
        return 0
    if arguments.format == "markdown":
        text = render_markdown(diff)
        if connections is not None and (connections.opened or connections.closed):
            text += "\n" + "\n".join(connections_markdown(connections)) + "\n"
    else:
        text = render_text(diff)
        if connections is not None:
            text += "\n" + "\n".join(connections_text(connections)) + "\n"
    sys.stdout.write(text)
    return 0


def render_text(diff: PlanDiff) -> str:
    """The diff for a terminal: counts, removals first, then by app and phase."""
    lines = [
        f"ztkit diff {_describe(diff.old)} -> {_describe(diff.new)}",
        _counts(diff),
    ]
    if diff.is_empty:
        return "\n".join(lines) + "\n"

    if diff.removed:
        lines += ["", f"REMOVED: pulumi up deletes {_objects(len(diff.removed))}:"]
        lines += [f"  - {item.key}" for item in diff.removed]

    for group in group_by_app_and_phase(diff):
        lines += ["", _group_title(group)]
        lines += [f"  + {item.key}" for item in group.added]
        lines += [f"  - {item.key}  (REMOVED)" for item in group.removed]
        for change in group.changed:
            lines.append(f"  ~ {change.key}")
            lines += [f"      {_field_text(field)}" for field in change.fields]
    return "\n".join(lines) + "\n"


def render_markdown(diff: PlanDiff, limit: int = MARKDOWN_LIMIT) -> str:
    """The diff as a pull-request comment: counts, removals, a table by app and
    phase, then the objects, collapsed when long, all within ``limit``."""
    head = _markdown_head(diff)
    if diff.is_empty:
        return "\n".join(head) + "\n"

    table = _markdown_table(group_by_app_and_phase(diff))
    details = _markdown_details(diff)
    text = "\n".join([*head, "", *table, "", *details]) + "\n"
    if len(text) <= limit:
        return text

    # Too long for a comment: keep the counts, removals and as much of the
    # table as fits, and say where the rest is.
    note = (
        "_Object details left out to fit a comment: run `ztkit diff OLD NEW` "
        "on the two renders for all of them._"
    )
    budget = limit - len("\n".join([*head, "", note])) - 200
    kept: list[str] = []
    for line in table:
        budget -= len(line) + 1
        if budget < 0:
            kept.append(f"| … | | | | {len(table) - len(kept) - 2} more rows |")
            break
        kept.append(line)
    return "\n".join([*head, "", *kept, "", note]) + "\n"


def _markdown_head(diff: PlanDiff) -> list[str]:
    title = "### ztkit plan diff"
    old_stack, new_stack = diff.old.stack, diff.new.stack
    if old_stack and new_stack and old_stack != new_stack:
        title += f": stack `{old_stack}` → `{new_stack}`"
    elif new_stack or old_stack:
        title += f": stack `{new_stack or old_stack}`"
    lines = [title, ""]
    old_phase, new_phase = diff.old.phase, diff.new.phase
    if old_phase is not None and new_phase is not None and old_phase != new_phase:
        lines += [f"Phase {old_phase} → {new_phase}", ""]
    elif new_phase is not None or old_phase is not None:
        lines += [f"Phase {new_phase if new_phase is not None else old_phase}", ""]
    summary = diff.summary()
    if diff.is_empty:
        lines.append(f"**No changes**: {_objects(summary['unchanged'])}, all the same.")
        return lines
    lines.append(
        f"**{summary['added']} added · {summary['removed']} removed · "
        f"{summary['changed']} changed** · {summary['unchanged']} unchanged"
    )
    if diff.removed:
        lines += [
            "",
            "> [!CAUTION]",
            f"> **{_objects(len(diff.removed))} removed**: `pulumi up` deletes "
            f"{'it' if len(diff.removed) == 1 else 'them'}.",
        ]
        for item in diff.removed[:LISTED_REMOVALS]:
            lines.append(f"> - `{item.key}` ({item.app}, {_phase_text(item.phase)})")
        if len(diff.removed) > LISTED_REMOVALS:
            lines.append(f"> - … and {len(diff.removed) - LISTED_REMOVALS} more")
    return lines


def _markdown_table(groups: list[DiffGroup]) -> list[str]:
    lines = ["| app | phase | added | removed | changed |", "|---|---|---:|---:|---:|"]
    for group in groups:
        removed = f"**{len(group.removed)}**" if group.removed else "·"
        lines.append(
            f"| {group.app} | {group.phase or '·'} | {len(group.added) or '·'} "
            f"| {removed} | {len(group.changed) or '·'} |"
        )
    return lines


def _markdown_details(diff: PlanDiff) -> list[str]:
    lines: list[str] = []
    for group in group_by_app_and_phase(diff):
        lines += ["", f"#### {_group_title(group)}", ""]
        if group.added:
            lines.append(f"- **added**: {_code_list(group.added)}")
        if group.removed:
            lines.append(f"- **removed** ⚠️: {_code_list(group.removed)}")
        for change in group.changed:
            lines += _markdown_change(change)
    total = len(diff.added) + len(diff.removed) + len(diff.changed)
    if total <= OPEN_OBJECTS:
        return lines[1:]
    return [
        f"<details><summary>Objects by app and phase ({total})</summary>",
        *lines,
        "",
        "</details>",
    ]


def _markdown_change(change: ObjectChange) -> list[str]:
    fields = [f"`{field.path}`{_markdown_values(field)}" for field in change.fields]
    if len(fields) <= INLINE_FIELDS:
        return [f"- **changed**: `{change.key}`: {'; '.join(fields)}"]
    return [
        f"- **changed**: `{change.key}`: {len(fields)} fields",
        "  <details><summary>fields</summary>",
        "",
        *(f"  - {field}" for field in fields),
        "",
        "  </details>",
    ]


def _markdown_values(field: FieldChange) -> str:
    text = _values(field)
    return f": {_code(text)}" if text else f" ({field.change})"


def _field_text(field: FieldChange) -> str:
    text = _values(field)
    return f"{field.path}: {text}" if text else f"{field.path}: {field.change}"


def _values(field: FieldChange) -> str:
    """``old -> new``, ``added new`` or ``removed (was old)``; empty if secret."""
    if field.sensitive:
        return ""
    if field.change == "added":
        return f"added {_short(field.new)}"
    if field.change == "removed":
        return f"removed (was {_short(field.old)})"
    return f"{_short(field.old)} -> {_short(field.new)}"


def _short(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    if len(text) > VALUE_WIDTH:
        text = text[: VALUE_WIDTH - 1] + "…"
    return text


def _code(text: str) -> str:
    # A value holding a backtick needs a longer fence to stay one code span.
    fence = "``" if "`" in text else "`"
    return f"{fence} {text} {fence}" if fence == "``" else f"`{text}`"


def _code_list(items: list[PlanObject]) -> str:
    return ", ".join(f"`{item.key}`" for item in items)


def _group_title(group: DiffGroup) -> str:
    return f"{group.app} · {_phase_text(group.phase)}"


def _phase_text(phase: str | None) -> str:
    return f"phase {phase}" if phase is not None else "no phase"


def _describe(plan: Plan) -> str:
    details = []
    if plan.stack:
        details.append(f"stack {plan.stack}")
    if plan.phase is not None:
        details.append(f"phase {plan.phase}")
    suffix = f" ({', '.join(details)})" if details else ""
    return f"{plan.directory}{suffix}"


def _counts(diff: PlanDiff) -> str:
    summary = diff.summary()
    return ", ".join(f"{count} {name}" for name, count in summary.items())


def _objects(count: int) -> str:
    return f"{count} object" if count == 1 else f"{count} objects"
