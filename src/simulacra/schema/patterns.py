"""Random strings that fully match a regular expression, drawn vectorized.

The usual subset of regular-expression syntax is understood: literal characters, ``.``,
classes (``[A-Z0-9_]``, ranges, ``[^...]`` within printable ASCII), the escapes ``\\d \\w \\s``
and escaped punctuation, groups ``(...)`` / ``(?:...)`` with alternation ``|``, and the
quantifiers ``?``, ``{n}``, ``{m,n}``, ``{n,}``, ``*`` and ``+`` (open-ended ones repeat at most
:data:`OPEN_REPEAT` extra times). Anchors ``^``/``$`` at the ends are ignored; anything else
(backreferences, lookarounds) is refused with a clear message.

A pattern comes from a file someone else may have written, so what it can cost is bounded when
it is compiled, before anything is drawn: groups nest at most :data:`MAX_NESTING` deep, a value
is at most :data:`MAX_LENGTH` characters (``a{300000000}`` is refused, it would take gigabytes
per thousand rows), and the pattern expands to at most :data:`MAX_PIECES` pieces drawn per
batch of rows (``((a{0}){1000}){1000}`` draws nothing a million times); its text and the
characters of its classes are bounded too (:data:`MAX_TEXT`, :data:`MAX_CLASS_CHARS`).

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

from simulacra.errors import MetadataError, quoted

#: ``*`` and ``+`` (and ``{n,}``) repeat at most this many times beyond their minimum.
OPEN_REPEAT = 8
#: Deepest nesting of groups ``( )`` a pattern may have.
MAX_NESTING = 100
#: Longest value a pattern may generate, in characters (so also the largest repeat count).
MAX_LENGTH = 1000
#: Most pieces (characters, groups, repeated copies) a pattern may expand to.
MAX_PIECES = 10_000
#: Most characters all the classes (``[A-Z]``, ``[^x]``) of a pattern may hold together.
MAX_CLASS_CHARS = 100_000
#: Longest pattern text read.
MAX_TEXT = 100_000
#: Code points drawn at once (64 MB); more rows are drawn in batches.
BATCH_CODES = 2 ** 24
_PRINTABLE = [c for c in string.printable if c not in "\t\n\r\x0b\x0c"]
_CLASSES = {"d": string.digits, "w": string.ascii_letters + string.digits + "_", "s": " "}
_DOT = string.ascii_letters + string.digits


class Node:
    """A piece of the pattern: draws ``(k, width)`` code points (0 = nothing)."""

    def generate(self, rng: np.random.Generator, k: int) -> np.ndarray:
        raise NotImplementedError

    def capacity(self) -> float:
        raise NotImplementedError

    def width(self) -> int:
        """The longest value this node draws, in characters."""
        raise NotImplementedError

    def pieces(self) -> int:
        """How many nodes one :meth:`generate` call draws (the work per batch of rows)."""
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

    def width(self) -> int:
        return 1

    def pieces(self) -> int:
        return 1


@dataclass(frozen=True)
class Sequence(Node):
    parts: tuple[Node, ...]

    def generate(self, rng: np.random.Generator, k: int) -> np.ndarray:
        if not self.parts:
            return np.zeros((k, 0), dtype=np.uint32)
        return np.hstack([p.generate(rng, k) for p in self.parts])

    def capacity(self) -> float:
        return float(np.prod([p.capacity() for p in self.parts])) if self.parts else 1.0

    def width(self) -> int:
        return sum(p.width() for p in self.parts)

    def pieces(self) -> int:
        return 1 + sum(p.pieces() for p in self.parts)


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

    def width(self) -> int:
        return max(b.width() for b in self.branches)

    def pieces(self) -> int:
        return 1 + sum(b.pieces() for b in self.branches)


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

    def width(self) -> int:
        return self.node.width() * self.high

    def pieces(self) -> int:
        return 1 + self.node.pieces() * self.high


@dataclass(frozen=True)
class Pattern:
    """A compiled pattern: :meth:`generate` draws matching strings."""

    text: str
    root: Node

    def generate(self, rng: np.random.Generator, k: int) -> np.ndarray:
        """``k`` matching strings as an object array, drawn in batches of at most
        :data:`BATCH_CODES` code points."""
        batch = max(1, BATCH_CODES // max(1, self.root.width()))
        if k <= batch:
            return self._generate(rng, k)
        out = np.empty(k, dtype=object)
        for start in range(0, k, batch):
            out[start:start + batch] = self._generate(rng, min(batch, k - start))
        return out

    def _generate(self, rng: np.random.Generator, k: int) -> np.ndarray:
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
    if len(text) > MAX_TEXT:
        raise MetadataError(f"pattern {quoted(text)} is longer than the {MAX_TEXT:,} characters "
                            "allowed")
    parser = _Parser(text)
    root = parser.alternation()
    if parser.pos < parser.end:
        parser.fail("unbalanced ')'")
    _check_size(text, root)
    return Pattern(text, root)


def _check_size(text: str, root: Node) -> None:
    """Refuse a pattern whose values or work per batch would be too large to draw."""
    if (width := root.width()) > MAX_LENGTH:
        raise MetadataError(f"pattern {quoted(text)} makes values of up to {width:,} characters, "
                            f"more than the {MAX_LENGTH:,} allowed; use smaller repeat counts")
    if (pieces := root.pieces()) > MAX_PIECES:
        raise MetadataError(f"pattern {quoted(text)} expands to {pieces:,} pieces, more than the "
                            f"{MAX_PIECES:,} allowed; use fewer alternatives or nested repeats")


class _Parser:
    def __init__(self, text: str):
        self.text = text
        self.pos = 0
        self.depth = 0
        self.class_chars = 0
        if text.startswith("^"):
            self.pos = 1
        self.end = len(text) - 1 if text.endswith("$") and not text.endswith("\\$") \
            else len(text)

    def fail(self, what: str) -> None:
        raise MetadataError(f"pattern {quoted(self.text)}: {what} at position {self.pos}; patterns "
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
            self.depth += 1
            if self.depth > MAX_NESTING:
                raise MetadataError(f"pattern {quoted(self.text)}: groups nest more than "
                                    f"{MAX_NESTING} deep at position {self.pos - 1}; write the "
                                    "pattern flatter")
            node = self.alternation()
            if self.peek() != ")":
                self.fail("missing ')'")
            self.pos += 1
            self.depth -= 1
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
                self.count_class_chars(ord(end) - ord(piece) + 1)
                chars += [chr(i) for i in range(ord(piece), ord(end) + 1)]
            else:
                self.count_class_chars(len(piece))
                chars += list(piece)
        if negate:
            chars = [c for c in _PRINTABLE if c not in set(chars)]
        if not chars:
            self.fail("an empty character class")
        return tuple(ord(c) for c in dict.fromkeys(chars))

    def count_class_chars(self, size: int) -> None:
        """Add ``size`` characters to the classes' total, refused past the limit."""
        self.class_chars += size
        if self.class_chars > MAX_CLASS_CHARS:
            raise MetadataError(f"pattern {quoted(self.text)}: its character classes hold more "
                                f"than {MAX_CLASS_CHARS:,} characters (at position {self.pos}); "
                                "use narrower ranges")

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
            self.check_count(lo_text, body)
            self.check_count(hi_text, body)
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

    def check_count(self, digits: str, body: str) -> None:
        """A repeat count above :data:`MAX_LENGTH` (checked before it is read as a number)."""
        digits = digits.strip().lstrip("0")
        if len(digits) > len(str(MAX_LENGTH)) or (digits and int(digits) > MAX_LENGTH):
            raise MetadataError(f"pattern {quoted(self.text)}: the quantifier at position "
                                f"{self.pos} repeats more than {MAX_LENGTH:,} times, the most "
                                "allowed")
