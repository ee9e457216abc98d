"""The exceptions simulacra raises.

Every error derives from :class:`SimulacraError`, so ``except sim.SimulacraError`` catches
anything the library raises on purpose. Messages say what was wrong, where (column, parameter,
file) and what to do about it.
"""

from __future__ import annotations

from collections.abc import Iterable


class SimulacraError(Exception):
    """Root of every error simulacra raises on purpose."""


class ParameterError(SimulacraError, ValueError):
    """A parameter has a value outside what is allowed."""


class DataError(SimulacraError, ValueError):
    """The data handed to simulacra cannot be used as it is."""


class MetadataError(SimulacraError, ValueError):
    """Metadata is invalid or does not match the data.

    ``problems`` lists every problem found, so that all of them can be fixed in one pass.
    """

    def __init__(self, problems: str | Iterable[str], *, header: str = "Invalid metadata") -> None:
        self.problems: list[str] = [problems] if isinstance(problems, str) else list(problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        count = len(self.problems)
        noun = "problem" if count == 1 else "problems"
        super().__init__(f"{header} ({count} {noun}):\n{lines}")


class NotFittedError(SimulacraError, RuntimeError):
    """A method that needs a fitted object was called before ``fit``."""


class ModelFileError(SimulacraError, OSError):
    """A model file cannot be read: corrupted, truncated, or from an incompatible version."""


def check_param(name: str, value: object, allowed: str, ok: bool) -> None:
    """Raise :class:`ParameterError` in scikit-learn's wording unless ``ok``.

    >>> check_param("n", 3, "an integer >= 1", ok=True)
    >>> check_param("n", 0, "an integer >= 1", ok=False)
    Traceback (most recent call last):
    ...
    simulacra.errors.ParameterError: The 'n' parameter must be an integer >= 1. Got 0 instead.
    """
    if not ok:
        raise ParameterError(f"The {name!r} parameter must be {allowed}. Got {value!r} instead.")


def quoted(text: str, limit: int = 80) -> str:
    """``text`` quoted for a message, cut after ``limit`` characters (with its length).

    A formula or pattern read from a file can be megabytes long; messages quote its start.

    >>> quoted("a + b")
    "'a + b'"
    >>> quoted("1 + " * 1000, limit=8)
    "'1 + 1 + '… (4,000 chars)"
    """
    if len(text) <= limit:
        return repr(text)
    return f"{text[:limit]!r}… ({len(text):,} chars)"


class ConfigError(MetadataError):
    """A pipeline configuration is invalid: ``problems`` lists every one, each with its line."""

    def __init__(self, problems: str | Iterable[str], *, header: str = "Invalid pipeline config"
                 ) -> None:
        super().__init__(problems, header=header)
