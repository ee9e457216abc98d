"""Faker values at numpy speed: a seeded pool drawn once, then sampled vectorized.

A Faker call costs tens of microseconds, so a million calls would take most of a minute.
Instead each Faker column calls its provider at most ``pool`` times (default
:data:`~simulacra.encoders.pii.POOL_SIZE`, the same pool the PII encoder uses) and samples rows
from that pool, which keeps Faker's own frequencies (common first names stay common).

``unique: true`` is exact, whatever the size:

1. up to :data:`DIRECT` values, distinct Faker values are collected and shuffled;
2. beyond that, a pool of distinct values is expanded: e-mail addresses get a number before the
   ``@`` (``ann.lee42@example.org``); values with at least :data:`MIN_DIGITS` digits (phone
   numbers, SSNs, card numbers) get fresh random digits in their own format; otherwise, with
   ``unique_suffix: true``, repeats get ``-2``, ``-3``, … appended;
3. if none applies, :class:`~simulacra.errors.DataError` says how many distinct values the
   provider gave and what to change.

>>> rng = np.random.default_rng(0)
>>> emails = unique_values("email", {}, "en_US", 30_000, rng, suffix=False)
>>> len(set(emails)) == 30_000, all("@" in e for e in emails[:100])
(True, True)
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd

from simulacra.encoders.pii import FAKER_METHODS, make_faker, provider_method
from simulacra.errors import DataError, MetadataError
from simulacra.randomness import child_seed

#: Unique columns up to this size are distinct Faker values, shuffled.
DIRECT = 20_000
#: Distinct Faker values collected before a larger unique column is expanded from them.
BASE = 10_000
#: Values with at least this many digits can be made unique by redrawing their digits.
MIN_DIGITS = 4
_DIGIT = re.compile(r"\d")
_HEADER = "Invalid generation schema"
#: Largest size argument (``length``, ``nb_words``, ``num_rows``, ``max_chars``…) of a column.
MAX_ARG_SIZE = 1000
#: Longest text argument (a template, a ``bothify`` text) of a column.
MAX_ARG_CHARS = 1000
#: Longest value a column may make, in characters (or bytes, or characters of its text form).
MAX_VALUE_CHARS = 10_000
_SIZE_ARG = re.compile(r"(^|_)(count|depth|digits|len|length|levels|chars|nb|num|size|width|"
                       r"height|elements|rows|files|words|sentences|texts)($|_)")


def provider_name(provider: str) -> str:
    """The Faker method for ``provider``; the PII types (``phone``, ``ip``…) are aliases."""
    return FAKER_METHODS.get(provider, provider)


@lru_cache(maxsize=16)
def _validator(locale: str) -> Any:
    return make_faker(locale, np.random.default_rng(0))


def provider_problem(provider: Any, args: Any, locale: Any) -> str | None:
    """Why ``provider(**args)`` cannot make values in ``locale`` (None when it can).

    Only the locale's providers are allowed (:func:`~simulacra.encoders.pii.provider_method`),
    also when named inside a template or an argument.
    """
    from simulacra.errors import ParameterError

    if not isinstance(provider, str) or not provider:
        return f"faker must name a Faker provider such as 'name' or 'email', got {provider!r}"
    if not isinstance(args, Mapping):
        return f"args must be a mapping of the provider's arguments, got {args!r}"
    try:
        fake = _validator(locale)
    except ParameterError as err:
        return str(err)
    method = provider_method(fake, provider_name(provider))
    if method is None:
        import difflib

        names = [n for n in dir(fake) if provider_method(fake, n) is not None]
        close = difflib.get_close_matches(provider, names, n=3)
        hint = f" (did you mean {', '.join(map(repr, close))}?)" if close else ""
        return (f"unknown Faker provider {provider!r} for locale {locale!r}{hint}; see "
                "https://faker.readthedocs.io/en/master/providers.html")
    if (problem := _args_problem(args)) is not None:
        return f"Faker {provider}: {problem}"
    try:
        value = method(**args)
    except MetadataError as err:  # a template or an argument names something else
        return f"Faker {provider}({_args(args)}): {err.problems[0]}"
    except Exception as err:  # Faker's own message says which argument is wrong
        return f"Faker {provider}({_args(args)}) fails: {type(err).__name__}: {err}"
    size = len(value) if isinstance(value, str | bytes) else len(str(value))
    if size > MAX_VALUE_CHARS:
        return (f"Faker {provider}({_args(args)}) makes values of {size:,} characters, more "
                f"than the {MAX_VALUE_CHARS:,} allowed; ask for shorter ones")
    return None


def _args_problem(args: Mapping[str, Any]) -> str | None:
    """A size argument or a text (at any depth) too large to call the provider with.

    A schema may come from someone else: ``pystr(max_chars=10**9)`` or a 16 MB ``bothify``
    text would take gigabytes per pool of values.
    """
    for key, value in args.items():
        if (isinstance(value, int) and not isinstance(value, bool)
                and _SIZE_ARG.search(str(key)) and abs(value) > MAX_ARG_SIZE):
            return (f"argument {key}={value:,} is larger than the {MAX_ARG_SIZE:,} allowed for "
                    "sizes")
    stack: list[Any] = [args]
    while stack:
        value = stack.pop()
        if isinstance(value, str) and len(value) > MAX_ARG_CHARS:
            return (f"an argument holds a text of {len(value):,} characters, more than the "
                    f"{MAX_ARG_CHARS:,} allowed")
        if isinstance(value, Mapping):
            stack.extend(value.keys())
            stack.extend(value.values())
        elif isinstance(value, list | tuple | set):
            stack.extend(value)
    return None


def _args(args: Mapping[str, Any]) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in args.items())


def _method(provider: str, args: Mapping[str, Any], locale: str, rng: np.random.Generator,
            column: str) -> Callable[[], Any]:
    """``provider(**args)`` as a call; a template that reaches past the allow-list is a
    :class:`MetadataError` naming ``column`` (a template may pick its names at random, so the
    check at load time cannot see every one)."""
    fake = make_faker(locale, rng)
    method = provider_method(fake, provider_name(provider))
    if method is None:
        raise MetadataError(f"column {column!r}: {provider!r} is not a Faker provider",
                            header=_HEADER)

    def call() -> Any:
        try:
            return method(**args)
        except MetadataError as err:
            raise MetadataError(f"column {column!r}: Faker {provider}({_args(args)}): "
                                f"{err.problems[0]}", header=_HEADER) from None

    return call


def pool(provider: str, args: Mapping[str, Any], locale: str, size: int,
         rng: np.random.Generator, *, column: str = "?") -> np.ndarray:
    """``size`` values of one provider from a Faker seeded by ``rng`` (an object array)."""
    call = _method(provider, args, locale, rng, column)
    out = np.empty(size, dtype=object)
    out[:] = [_plain(call()) for _ in range(size)]
    return out


def _plain(value: Any) -> Any:
    """Faker's Decimal becomes float; everything else stays as Faker made it."""
    from decimal import Decimal

    return float(value) if isinstance(value, Decimal) else value


def distinct(call: Callable[[], Any], target: int, attempts: int) -> list[Any]:
    """Up to ``target`` distinct values from at most ``attempts`` calls."""
    seen: dict[Any, None] = {}
    for _ in range(attempts):
        seen[_plain(call())] = None
        if len(seen) >= target:
            break
    return list(seen)


def unique_values(provider: str, args: Mapping[str, Any], locale: str, k: int,
                  rng: np.random.Generator, *, suffix: bool, column: str = "?") -> np.ndarray:
    """``k`` distinct values of ``provider`` (see the module doc for how)."""
    call = _method(provider, args, locale, np.random.default_rng(child_seed(rng)), column)
    target = k if k <= DIRECT else BASE
    base = distinct(call, target, attempts=3 * target + 100)
    if len(base) >= k:
        out = np.empty(k, dtype=object)
        out[:] = base[:k]
        return out[rng.permutation(k)]
    texts = all(isinstance(v, str) for v in base)
    if texts and all("@" in v for v in base):
        return _numbered(base, k, rng, email=True)
    if texts and _digit_capacity(base) >= 2 * k:
        values = _redraw_digits(base, k, rng)
        if values is not None:
            return values
    if texts and suffix:
        return _numbered(base, k, rng, email=False)
    advice = "lower n, drop unique" + (", or set unique_suffix: true (appends -2, -3, … to "
                                       "repeated values)" if texts and not suffix else "")
    raise DataError(f"column {column!r}: Faker {provider!r} gave only {len(base):,} distinct "
                    f"values, fewer than the {k:,} unique values asked for; {advice}")


def _numbered(base: list[str], k: int, rng: np.random.Generator, *, email: bool
              ) -> np.ndarray:
    """Every base value, then base values with a number (before the ``@`` for e-mails)."""
    size = len(base)
    heads, tails = [], []
    for value in base:
        if email:
            head, _, tail = value.rpartition("@")
            heads.append(head)
            tails.append("@" + tail)
        else:
            heads.append(value + "-")
            tails.append("")
    order = rng.permutation(k)
    which, number = order % size, order // size
    values = [base[b] if r == 0 else f"{heads[b]}{r + 1}{tails[b]}"
              for b, r in zip(which.tolist(), number.tolist(), strict=True)]
    out = np.empty(k, dtype=object)
    out[:] = values
    # a base value may already look like another one with a number ("ann2@x" vs "ann"+"2")
    offset = int(number.max()) + 2
    for _ in range(100):
        dup = np.flatnonzero(pd.Index(out).duplicated())
        if not dup.size:
            return out
        for j, row in enumerate(dup.tolist()):
            b = int(which[row])
            out[row] = f"{heads[b]}{offset + j}{tails[b]}"
        offset += dup.size
    raise AssertionError("numbered values stayed duplicated")  # pragma: no cover


def _digit_capacity(base: list[str]) -> float:
    """Distinct strings reachable by redrawing the digits of the base values."""
    templates: dict[str, int] = {}
    for value in base:
        digits = len(_DIGIT.findall(value))
        if digits < MIN_DIGITS:
            return 0.0
        templates[_DIGIT.sub("#", value)] = digits
    return float(sum(10.0 ** d for d in templates.values()))


def _redraw_digits(base: list[str], k: int, rng: np.random.Generator,
                   rounds: int = 20) -> np.ndarray | None:
    """Base values (drawn with replacement) with every digit redrawn, duplicates redrawn."""
    templates = np.array(base, dtype=str)
    width = templates.dtype.itemsize // 4
    values = templates[rng.integers(0, len(base), size=k)]
    rows = np.arange(k)
    for _ in range(rounds):
        codes = values[rows].view(np.uint32).reshape(len(rows), width).copy()
        digit = (codes >= 48) & (codes <= 57)
        codes[digit] = rng.integers(48, 58, size=int(digit.sum()), dtype=np.uint32)
        values[rows] = codes.view(f"<U{width}").ravel()
        rows = np.flatnonzero(pd.Index(values).duplicated())
        if not rows.size:
            return values.astype(object)
    return None
