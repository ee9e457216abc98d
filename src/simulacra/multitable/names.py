r"""Table and column names received from files and database catalogues, checked before use.

A name read from someone else's folder or database becomes a file name or an identifier in
SQL; it is refused unless it is a non-empty string of printable characters without path
separators, at most :data:`MAX_NAME_LENGTH` characters long. SQL identifiers are then always
quoted by SQLAlchemy, never formatted into a statement.

>>> check_name("orders", "table")
'orders'
>>> name_problem("../etc/passwd")
"it contains a path separator ('/' or '\\')"
"""

from __future__ import annotations

from collections.abc import Iterable

from simulacra.errors import DataError

#: Longest table or column name accepted (PostgreSQL itself stops at 63 bytes).
MAX_NAME_LENGTH = 128


def name_problem(name: object) -> str | None:
    """Why ``name`` cannot be used as a table or column name, or ``None`` when it can."""
    if not isinstance(name, str):
        return f"it is a {type(name).__name__}, not a string"
    if not name.strip():
        return "it is empty"
    if len(name) > MAX_NAME_LENGTH:
        return f"it is {len(name)} characters long; at most {MAX_NAME_LENGTH} are allowed"
    if "/" in name or "\\" in name:
        return "it contains a path separator ('/' or '\\')"
    if "\x00" in name:
        return "it contains a NUL character"
    if any(not ch.isprintable() for ch in name):
        return "it contains a control character"
    if name in {".", ".."}:
        return "it names a folder ('.' or '..')"
    return None


def check_name(name: object, what: str) -> str:
    """``name`` itself when it is a usable ``what`` name ("table", "column of 'orders'")."""
    problem = name_problem(name)
    if problem is not None:
        raise DataError(f"{what} name {name!r} cannot be used: {problem}; rename the "
                        f"{what.split()[0]}")
    return name  # type: ignore[return-value]


def check_names(names: Iterable[object], what: str) -> None:
    """Raise one :class:`DataError` listing every unusable name among ``names``."""
    bad = [(n, p) for n in names if (p := name_problem(n)) is not None]
    if bad:
        listed = "; ".join(f"{n!r}: {p}" for n, p in bad)
        raise DataError(f"unusable {what} names ({listed}); rename them")
