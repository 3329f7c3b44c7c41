"""Tables that fit the terminal without breaking what people copy: identifiers, versions, headers.

Every column says what its cells are:

- ``id``: vulnerability ids, versions, names, statuses: never split inside a line (the column is
  at least as wide as its longest line);
- ``path``: file paths and ARNs: wrapped after a ``/`` (or ``:``), folded only when one segment
  alone is wider than the column;
- ``text``: prose, wrapped at spaces.

When the natural widths do not fit, the ``path`` and ``text`` columns give up space first, down to
their longest segment or word; if that is still too wide, whole columns are dropped, least
important first (as trivy and grype do), and the table says which.  Without a width (output piped
to a file or another program) nothing is wrapped at all.
"""
from __future__ import annotations

from dataclasses import dataclass

from rich import box
from rich.table import Table
from rich.text import Text

_GAP = 3  # between columns: one space of padding on each side and the box's blank separator


@dataclass(frozen=True)
class Col:
    header: str
    kind: str = "id"  # "id" | "path" | "text"
    #: 0 is never dropped; higher numbers are dropped first
    priority: int = 0
    style: str = ""


def _lines(t: Text) -> list[str]:
    return t.plain.split("\n") or [""]


def _natural(col: Col, cells: list[Text]) -> int:
    return max([len(col.header)] + [len(line) for c in cells for line in _lines(c)])


def _minimum(col: Col, cells: list[Text]) -> int:
    if col.kind == "id":
        return _natural(col, cells)
    longest = len(col.header)
    for c in cells:
        for line in _lines(c):
            if col.kind == "path":
                parts = _segments(line)
            else:
                parts = line.split(" ")
            longest = max([longest] + [len(p) for p in parts])
    return min(longest, 30) if col.kind == "path" else longest


def _segments(line: str) -> list[str]:
    """'a/b/c.txt' -> ['a/', 'b/', 'c.txt'] (break points after '/' and ':', as in paths, ARNs and
    Maven coordinates)."""
    out, cur = [], ""
    for ch in line:
        cur += ch
        if ch in "/:":
            out.append(cur)
            cur = ""
    if cur:
        out.append(cur)
    return out or [""]


def wrap_path(t: Text, width: int) -> Text:
    """A path cell with line breaks after '/' so that no line is wider than ``width``."""
    out = Text(style=t.style)
    offset = 0
    for n, line in enumerate(t.plain.split("\n")):
        if n:
            out.append("\n")
        col = 0
        for seg in _segments(line):
            while len(seg) > width:  # one segment wider than the column: fold it
                if col:
                    out.append("\n")
                    col = 0
                out.append_text(t[offset:offset + width])
                out.append("\n")
                offset += width
                seg = seg[width:]
            if col and col + len(seg) > width:
                out.append("\n")
                col = 0
            out.append_text(t[offset:offset + len(seg)])
            offset += len(seg)
            col += len(seg)
        offset += 1  # the newline
    return out


def table(cols: list[Col], rows: list[list[Text]], width: int | None, **table_kw) -> tuple[Table, list[str]]:
    """A rich Table of ``rows`` laid out for ``width`` columns (None: no limit), and the headers of
    the columns that had to be dropped."""
    cells = [[r[i] for r in rows] for i in range(len(cols))]
    keep = list(range(len(cols)))
    natural = {i: _natural(cols[i], cells[i]) for i in keep}
    minimum = {i: _minimum(cols[i], cells[i]) for i in keep}
    widths = dict(natural)
    if width is not None:
        def total() -> int:
            return sum(widths[i] for i in keep) + _GAP * (len(keep) - 1)

        # give up space from the widest wrappable column, down to its minimum
        while total() > width:
            shrinkable = [i for i in keep if widths[i] > minimum[i]]
            if shrinkable:
                i = max(shrinkable, key=lambda k: widths[k] - minimum[k])
                widths[i] = max(minimum[i], widths[i] - (total() - width))
                continue
            droppable = [i for i in keep if cols[i].priority > 0]
            if not droppable:
                break  # even the essential columns at their narrowest do not fit: the terminal wraps lines
            keep.remove(max(droppable, key=lambda k: (cols[k].priority, k)))
            widths = {i: natural[i] for i in keep}
    t = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, expand=False, **table_kw)
    for i in keep:
        c = cols[i]
        t.add_column(c.header, width=widths[i], no_wrap=c.kind != "text", overflow="fold", style=c.style or None)
    for r in rows:
        t.add_row(*(wrap_path(r[i], widths[i]) if cols[i].kind == "path" else r[i] for i in keep))
    dropped = [cols[i].header for i in range(len(cols)) if i not in keep]
    return t, dropped
