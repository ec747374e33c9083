"""Listing output: one row per line at the terminal's width (wide fields are cut with '…'; `show`
commands and `--json` carry them whole), or JSON records for scripts."""

from __future__ import annotations

import json
from typing import Any

from rich.console import Console

GAP = "  "  # between columns
MIN_WIDE = 8  # a wide column keeps at least this many characters, even on a narrow terminal


def _cell(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "-"
    if isinstance(value, list | tuple):
        return ",".join(str(v) for v in value)
    return "-" if value is None else " ".join(str(value).split())  # one line, whatever the field holds


def fit(text: str, width: int) -> str:
    """`text` cut to `width` characters, the cut marked with '…'."""
    return text if len(text) <= width else text[: max(width - 1, 0)] + "…"


def column_widths(headers: list[str], rows: list[list[str]], wide: set[int], width: int) -> list[int]:
    """Each narrow column as wide as its longest cell; the wide ones share what is left of `width`."""
    natural = [max([len(h), *(len(r[j]) for r in rows)]) for j, h in enumerate(headers)]
    left = width - len(GAP) * (len(headers) - 1) - sum(w for j, w in enumerate(natural) if j not in wide)
    share = max(left // max(len(wide), 1), MIN_WIDE)
    return [min(w, share) if j in wide else w for j, w in enumerate(natural)]


def render_table(headers: list[str], rows: list[list[str]], wide: set[int], width: int) -> list[str]:
    """The table's lines: a header, a rule, then exactly one line per row."""
    widths = column_widths(headers, rows, wide, width)

    def line(cells: list[str]) -> str:
        return GAP.join(fit(c, w).ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()

    return [line(headers), "─" * min(sum(widths) + len(GAP) * (len(widths) - 1), width), *map(line, rows)]


def print_records(
    console: Console, records: list[dict[str, Any]], columns: list[str], wide: set[str], as_json: bool
) -> None:
    """Print `records` as JSON (every field), or as a table of `columns` in which only the `wide`
    columns give up width; every other column keeps its longest value whole."""
    if as_json:
        print(json.dumps(records, indent=2, default=str))
        return
    rows = [[_cell(r.get(c)) for c in columns] for r in records]
    headers = [c.replace("_", " ") for c in columns]
    for text in render_table(headers, rows, {j for j, c in enumerate(columns) if c in wide}, console.width):
        console.print(text, highlight=False, markup=False, soft_wrap=True)
