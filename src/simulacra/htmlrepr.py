"""Small HTML tables for notebooks (``_repr_html_`` of metadata, models and results).

Every cell is escaped: column names and values come from the user's data.

>>> page = html_table("Metadata: 1 column", ["column", "kind"], [["<b>", "numerical"]])
>>> "<td>&lt;b&gt;</td><td>numerical</td>" in page, page.startswith("<table><caption>")
(True, True)
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from typing import Any


def html_table(caption: str, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """A ``<table>`` with an escaped caption, header and cells (``None`` → empty)."""
    head = "".join(f"<th>{html.escape(str(h))}</th>" for h in header)
    body = "".join(
        "<tr>" + "".join(f"<td>{'' if c is None else html.escape(str(c))}</td>" for c in row)
        + "</tr>" for row in rows)
    return (f"<table><caption>{html.escape(caption)}</caption><thead><tr>{head}</tr></thead>"
            f"<tbody>{body}</tbody></table>")
