"""A YAML document read with the line of every key, so that errors can point at them.

The text is parsed with PyYAML's safe loader (no tags that build objects; nesting bounded by
:class:`~simulacra.io.DepthLimitedLoader`) from a bounded read; :func:`read_document` returns
the data and a map from a key path (``("model", "params")``, a list item's index as an int) to
its 1-based line, and :func:`line_of` finds the nearest line for a path pydantic reports.

>>> data, lines = parse_document("a: 1\\nb:\\n  c: [x, y]\\n", "x.yaml")
>>> data, lines[("b", "c")], line_of(lines, ("b", "c", 1, "deep"))
({'a': 1, 'b': {'c': ['x', 'y']}}, 3, 3)
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from simulacra.errors import ConfigError
from simulacra.io import DepthLimitedLoader

Lines = dict[tuple[Any, ...], int]

#: Largest pipeline config read: a document, not data.
MAX_CONFIG_BYTES = 1024 * 1024


def read_document(path: str | Path) -> tuple[Any, Lines]:
    """The YAML (or JSON) document at ``path`` and the line of each key path."""
    from simulacra.io import read_text_bounded

    text = read_text_bounded(path, what="pipeline config", limit=MAX_CONFIG_BYTES)
    return parse_document(text, str(path))


def parse_document(text: str, name: str) -> tuple[Any, Lines]:
    """Parse ``text``; a syntax error is a :class:`ConfigError` with its line and column."""
    loader = DepthLimitedLoader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = getattr(err, "problem", None) or str(err)
        raise ConfigError(f"{name}: {where}not valid YAML ({problem})") from None
    finally:
        loader.dispose()
    lines: Lines = {}
    if node is not None:
        _walk(node, (), lines)
    return data, lines


def _walk(node: yaml.Node, path: tuple[Any, ...], lines: Lines) -> None:
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            step = key.value if isinstance(key, yaml.ScalarNode) else str(key.start_mark.line)
            lines[(*path, step)] = key.start_mark.line + 1
            _walk(value, (*path, step), lines)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _walk(item, (*path, index), lines)


def line_of(lines: Lines, path: Sequence[Any]) -> int | None:
    """The line of ``path``, or of its nearest ancestor the document has."""
    path = tuple(path)
    while path:
        if path in lines:
            return lines[path]
        path = path[:-1]
    return lines.get(())
