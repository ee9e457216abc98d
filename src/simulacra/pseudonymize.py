"""Consistent, keyed pseudonymization of a table's PII columns.

Synthesizers never see PII values (they generate fresh Faker values). When the *real* table
itself must be shared with its personal data replaced — keeping joins and repeat visits
intact — :func:`pseudonymize` maps every distinct value of a PII column to a realistic fake
one, the same real value to the same fake value, under a secret ``key``:

* the fake value is drawn by Faker (``locale``) seeded by HMAC-SHA256(key, column, value), so
  without the key the mapping can be neither recomputed nor reversed, and a different key
  gives an unrelated mapping;
* ``phone``, ``ssn``, ``credit_card`` and ``iban`` keep their format: every digit is replaced
  by a keyed digit, everything else (``+``, spaces, dashes, brackets, letters of an IBAN's
  country code) stays where it was;
* ``email`` values get a fake local part; the domain is kept only with
  ``keep_email_domain=True`` (it can identify an employer).

Nulls stay null; other columns are untouched; the caller's frame is never modified.

>>> df = pd.DataFrame({"email": ["ann@corp.com", "bob@x.org", "ann@corp.com"],
...                    "phone": ["+1 (555) 010-2030", None, "+1 (555) 010-2030"]})
>>> out = pseudonymize(df, key="s3cret")
>>> out["email"][0] == out["email"][2] != "ann@corp.com", bool(pd.isna(out["phone"][1]))
(True, True)
>>> phone = out["phone"][0]
>>> phone[0] + phone[2:4] + phone[7:9] + phone[12], phone != df["phone"][0]
('+ () -', True)
"""

from __future__ import annotations

import hashlib
import hmac

import numpy as np
import pandas as pd

from simulacra.encoders.pii import FAKER_METHODS, make_faker
from simulacra.errors import ParameterError
from simulacra.kinds import PII
from simulacra.metadata import Metadata

#: PII types whose format is kept digit by digit.
DIGIT_TYPES = frozenset({"phone", "ssn", "credit_card", "iban"})


def pseudonymize(data: pd.DataFrame, metadata: Metadata | None = None, *, key: str | bytes,
                 locale: str = "en_US", keep_email_domain: bool = False) -> pd.DataFrame:
    """``data`` with every PII column's values replaced consistently under ``key``."""
    if not isinstance(data, pd.DataFrame):
        raise ParameterError(f"pseudonymize() expects a pandas DataFrame, got "
                             f"{type(data).__name__}")
    if isinstance(key, str):
        key = key.encode()
    if not isinstance(key, bytes) or len(key) < 4:
        raise ParameterError("The 'key' parameter must be a secret string or bytes of at least "
                             "4 characters (keep it: the same key gives the same mapping)")
    md = metadata if metadata is not None else Metadata.detect(data)
    out = data.copy()
    for name, spec in md.items():
        if isinstance(spec, PII) and name in out.columns:
            out[name] = _column(out[name], name, spec.pii_type, key, locale, keep_email_domain)
    return out


def _column(values: pd.Series, name: str, pii_type: str, key: bytes, locale: str,
            keep_domain: bool) -> pd.Series:
    mapping = {}
    for value in values.dropna().unique():
        digest = hmac.new(key, f"{name}\0{value}".encode(), hashlib.sha256).digest()
        mapping[value] = _fake(str(value), pii_type, digest, locale, keep_domain)
    result = values.map(mapping)
    return result.astype(values.dtype) if values.dtype != object else result


def _fake(value: str, pii_type: str, digest: bytes, locale: str, keep_domain: bool) -> str:
    rng = np.random.default_rng(np.frombuffer(digest, dtype=np.uint32))
    if pii_type in DIGIT_TYPES and any(c.isdigit() for c in value):
        digits = iter(rng.integers(0, 10, size=sum(c.isdigit() for c in value)).tolist())
        return "".join(str(next(digits)) if c.isdigit() else c for c in value)
    fake = make_faker(locale, rng)
    if pii_type == "email":
        local = fake.user_name() + str(int(rng.integers(0, 1000)))
        domain = value.rsplit("@", 1)[1] if keep_domain and "@" in value else \
            fake.free_email_domain()
        return f"{local}@{domain}"
    method = FAKER_METHODS.get(pii_type, "name")
    return str(getattr(fake, method)())
