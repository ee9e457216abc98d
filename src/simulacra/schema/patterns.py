"""Random strings that fully match a regular expression, drawn vectorized.

The usual subset of regular-expression syntax is understood: literal characters, ``.``,
classes (``[A-Z0-9_]``, ranges, ``[^...]`` within printable ASCII), the escapes ``\\d \\w \\s``
and escaped punctuation, groups ``(...)`` / ``(?:...)`` with alternation ``|``, and the
quantifiers ``?``, ``{n}``, ``{m,n}``, ``{n,}``, ``*`` and ``+`` (open-ended ones repeat at most
:data:`OPEN_REPEAT` extra times). Anchors ``^``/``$`` at the ends are ignored; anything else
(backreferences, lookarounds) is refused with a clear message.

Every node draws a ``(rows, width)`` array of Unicode code points, 0 marking an unused slot; the
final array is compacted and viewed as fixed-width strings, so a million values cost a few
numpy passes.

>>> pattern = compile_pattern(r"[A-Z]{2}-\\d{3}(-X)?")
>>> values = pattern.generate(np.random.default_rng(0), 5)
>>> import re
>>> all(re.fullmatch(r"[A-Z]{2}-\\d{3}(-X)?", v) for v in values), pattern.capacity()
(True, 1352000.0)
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from simulacra.errors import MetadataError

#: ``*`` and ``+`` (and ``{n,}``) repeat at most this many times beyond their minimum.
OPEN_REPEAT = 8
_PRINTABLE = [c for c in string.printable if c not in "\t\n\r\x0b\x0c"]
_CLASSES = {"d": string.digits, "w": string.ascii_letters + string.digits + "_", "s": " "}
_DOT = string.ascii_letters + string.digits


class Node:
    """A piece of the pattern: draws ``(k, width)`` code points (0 = nothing)."""

    def generate(self, rng: np.random.Generator, k: int) -> np.ndarray:
        raise NotImplementedError

    def capacity(self) -> float:
        raise NotImplementedError


@dataclass(frozen=True)
class Chars(Node):
    """One character out of ``codes``."""

    codes: tuple[int, ...]

    def generate(self, rng: np.random.Generator, k: int) -> np.ndarray:
        if len(self.codes) == 1:
            return np.full((k, 1), self.codes[0], dtype=np.uint32)
        codes = np.asarray(self.codes, dtype=np.uint32)
        return codes[rng.integers(0, len(codes), size=k)][:, None]

    def capacity(self) -> float:
        return float(len(self.codes))


@dataclass(frozen=True)
class Sequence(Node):
    parts: tuple[Node, ...]

    def generate(self, rng: np.random.Generator, k: int) -> np.ndarray:
        if not self.parts:
            return np.zeros((k, 0), dtype=np.uint32)
        return np.hstack([p.generate(rng, k) for p in self.parts])

    def capacity(self) -> float:
        return float(np.prod([p.capacity() for p in self.parts])) if self.parts else 1.0


@dataclass(frozen=True)
class Alternation(Node):
    branches: tuple[Node, ...]

    def generate(self, rng: np.random.Generator, k: int) -> np.ndarray:
        pick = rng.integers(0, len(self.branches), size=k)
        parts = []
        for i, branch in enumerate(self.branches):
            rows = np.flatnonzero(pick == i)
            parts.append((rows, branch.generate(rng, rows.size)))
        width = max(p.shape[1] for _, p in parts)
        out = np.zeros((k, width), dtype=np.uint32)
        for rows, part in parts:
            out[rows, :part.shape[1]] = part
        return out

    def capacity(self) -> float:
        return float(sum(b.capacity() for b in self.branches))


@dataclass(frozen=True)
class Repeat(Node):
    node: Node
    low: int
    high: int

    def generate(self, rng: np.random.Generator, k: int) -> np.ndarray:
        if self.high == 0:
            return np.zeros((k, 0), dtype=np.uint32)
        copies = [self.node.generate(rng, k) for _ in range(self.high)]
        if self.low < self.high:
            counts = rng.integers(self.low, self.high + 1, size=k)
            for i in range(self.low, self.high):
                copies[i][counts <= i] = 0
        return np.hstack(copies)

    def capacity(self) -> float:
        each = self.node.capacity()
        return float(sum(each ** c for c in range(self.low, self.high + 1)))


@dataclass(frozen=True)
class Pattern:
    """A compiled pattern: :meth:`generate` draws matching strings."""

    text: str
    root: Node

    def generate(self, rng: np.random.Generator, k: int) -> np.ndarray:
        """``k`` matching strings as an object array."""
        codes = self.root.generate(rng, k)
        if codes.shape[1] == 0:
            return np.full(k, "", dtype=object)
        if (codes == 0).any():  # move the unused slots to the end of each row
            order = np.argsort(codes == 0, axis=1, kind="stable")
            codes = np.take_along_axis(codes, order, axis=1)
        text = np.ascontiguousarray(codes).view(f"<U{codes.shape[1]}").ravel()
        return text.astype(object)

    def capacity(self) -> float:
        """How many distinct strings the pattern can produce (``inf`` past 1e300)."""
        value = self.root.capacity()
        return value if value < 1e300 else float("inf")


@lru_cache(maxsize=256)
def compile_pattern(text: str) -> Pattern:
    """Parse ``text``; :class:`MetadataError` naming the position of what is not supported."""
    if not isinstance(text, str):
        raise MetadataError(f"pattern must be text such as '[A-Z]{{3}}-\\d{{4}}', got {text!r}")
    parser = _Parser(text)
    root = parser.alternation()
    if parser.pos < parser.end:
        parser.fail("unbalanced ')'")
    return Pattern(text, root)


class _Parser:
    def __init__(self, text: str):
        self.text = text
        self.pos = 0
        if text.startswith("^"):
            self.pos = 1
        self.end = len(text) - 1 if text.endswith("$") and not text.endswith("\\$") \
            else len(text)

    def fail(self, what: str) -> None:
        raise MetadataError(f"pattern {self.text!r}: {what} at position {self.pos}; patterns "
                            "support literals, ., [classes], \\d \\w \\s, (groups|alternatives) "
                            "and the quantifiers ? * + {n} {m,n}")

    def peek(self) -> str | None:
        return self.text[self.pos] if self.pos < self.end else None

    def alternation(self) -> Node:
        branches = [self.sequence()]
        while self.peek() == "|":
            self.pos += 1
            branches.append(self.sequence())
        return branches[0] if len(branches) == 1 else Alternation(tuple(branches))

    def sequence(self) -> Node:
        parts: list[Node] = []
        while (c := self.peek()) is not None and c not in "|)":
            atom = self.atom()
            parts.append(self.quantified(atom))
        return parts[0] if len(parts) == 1 else Sequence(tuple(parts))

    def atom(self) -> Node:
        c = self.text[self.pos]
        self.pos += 1
        if c == "(":
            if self.text.startswith("?:", self.pos):
                self.pos += 2
            elif self.peek() == "?":
                self.fail("lookarounds and named groups are not supported")
            node = self.alternation()
            if self.peek() != ")":
                self.fail("missing ')'")
            self.pos += 1
            return node
        if c == "[":
            return Chars(self.char_class())
        if c == ".":
            return Chars(tuple(map(ord, _DOT)))
        if c == "\\":
            return Chars(tuple(map(ord, self.escape())))
        if c in "*+?{":
            self.pos -= 1
            self.fail(f"nothing to repeat before {c!r}")
        if c == "\0":
            self.fail("a NUL character cannot be generated")
        return Chars((ord(c),))

    def escape(self) -> str:
        if self.pos >= len(self.text):
            self.fail("a pattern cannot end with '\\'")
        c = self.text[self.pos]
        self.pos += 1
        if c in _CLASSES:
            return _CLASSES[c]
        if c in "nt":
            return {"n": "\n", "t": "\t"}[c]
        if c.isalnum():
            self.pos -= 2
            self.fail(f"the escape '\\{c}' is not supported")
        return c

    def char_class(self) -> tuple[int, ...]:
        negate = self.peek() == "^"
        if negate:
            self.pos += 1
        chars: list[str] = []
        first = True
        while True:
            c = self.peek()
            if c is None:
                self.fail("missing ']'")
            assert c is not None
            if c == "]" and not first:
                self.pos += 1
                break
            first = False
            self.pos += 1
            piece = self.escape() if c == "\\" else c
            if len(piece) == 1 and self.peek() == "-" and self.pos + 1 < self.end \
                    and self.text[self.pos + 1] != "]":
                self.pos += 1
                nxt = self.text[self.pos]
                self.pos += 1
                end = self.escape() if nxt == "\\" else nxt
                if len(end) != 1 or ord(end) < ord(piece):
                    self.fail(f"bad range {piece}-{end}")
                chars += [chr(i) for i in range(ord(piece), ord(end) + 1)]
            else:
                chars += list(piece)
        if negate:
            chars = [c for c in _PRINTABLE if c not in set(chars)]
        if not chars:
            self.fail("an empty character class")
        return tuple(ord(c) for c in dict.fromkeys(chars))

    def quantified(self, node: Node) -> Node:
        c = self.peek()
        if c == "?":
            low, high = 0, 1
        elif c == "*":
            low, high = 0, OPEN_REPEAT
        elif c == "+":
            low, high = 1, 1 + OPEN_REPEAT
        elif c == "{":
            close = self.text.find("}", self.pos)
            body = self.text[self.pos + 1:close] if close > 0 else ""
            lo_text, comma, hi_text = body.partition(",")
            if not lo_text.strip().isdigit() or (hi_text.strip() and
                                                 not hi_text.strip().isdigit()):
                self.fail(f"cannot read the quantifier {{{body}}}")
            low = int(lo_text)
            high = int(hi_text) if hi_text.strip() else (low + OPEN_REPEAT if comma else low)
            if high < low:
                self.fail(f"quantifier {{{body}}} has max < min")
            self.pos = close
        else:
            return node
        self.pos += 1
        if self.peek() in ("?", "+"):  # lazy / possessive: the same strings
            self.pos += 1
        return Repeat(node, low, high)
