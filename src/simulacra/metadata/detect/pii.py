"""Personal data: value patterns (e-mail, IP, SSN, card numbers, IBAN, phone) and names that,
with the right value shape, say a column holds names, addresses, cities or postcodes.

>>> bool(full_match(UUID_PATTERN)(pd.Series(["123e4567-e89b-12d3-a456-426614174000"])).all())
True
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from simulacra.kinds import PII
from simulacra.metadata.detect.evidence import Column, of_values, percent

PII_MIN_SHARE = 0.90
QUASI_IDENTIFIER_MIN_DISTINCT = 50
"""Fewest distinct values for a city or postcode column to count as PII, not as a category."""

_PHONE_TOKENS = frozenset({"phone", "telephone", "tel", "mobile", "cell", "cellphone", "fax",
                           "msisdn"})
_PERSON_TOKENS = frozenset({"full", "customer", "client", "employee", "person", "contact",
                            "patient", "member", "owner", "holder", "cardholder", "student",
                            "author", "manager", "applicant", "passenger"})
_NOT_POSTAL_ADDRESS = frozenset({"ip", "ipv4", "ipv6", "email", "mail", "mac", "web", "url",
                                 "wallet", "memory"})

_EMAIL = r"[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"
_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
_IPV4 = rf"{_OCTET}(?:\.{_OCTET}){{3}}"
_H = r"[0-9A-Fa-f]{1,4}"
_IPV6 = (rf"(?:{_H}:){{7}}{_H}"
         rf"|(?:(?:{_H}:){{0,6}}{_H})?::(?:(?:{_H}:){{0,6}}{_H})?")
_SSN = r"[0-9]{3}-[0-9]{2}-[0-9]{4}"
UUID_PATTERN = r"[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}"
_WORD = r"[^\W\d_]+(?:['\u2019.-][^\W\d_]+)*\.?"
_NAME_WORDS = rf"{_WORD}(?: {_WORD}){{0,3}}"  # 1-4 alphabetic words


def full_match(pattern: str) -> Callable[[pd.Series], pd.Series]:
    compiled = re.compile(pattern)

    def matches(text: pd.Series) -> pd.Series:
        return text.str.fullmatch(compiled).fillna(False).astype(bool)
    return matches


def _digit_count(text: pd.Series) -> pd.Series:
    return text.str.count(r"[0-9]")


def _is_credit_card(text: pd.Series) -> pd.Series:
    digits = text.str.replace(r"[ -]", "", regex=True)
    ok = (text.str.fullmatch(r"[0-9][0-9 -]{11,22}[0-9]").fillna(False).astype(bool)
          & digits.str.fullmatch(r"[0-9]{13,19}").fillna(False).astype(bool))
    out = np.zeros(len(text), dtype=bool)
    if ok.any():
        padded = np.array(digits[ok].str.zfill(19).tolist(), dtype="U19")
        grid = padded.view(np.uint32).reshape(-1, 19).astype(np.int64) - ord("0")
        grid[:, -2::-2] *= 2  # every second digit from the right
        grid = np.where(grid > 9, grid - 9, grid)
        out[ok.to_numpy()] = grid.sum(axis=1) % 10 == 0
    return pd.Series(out, index=text.index)


def _is_iban(text: pd.Series) -> pd.Series:
    compact = text.str.replace(" ", "", regex=False)
    ok = compact.str.fullmatch(r"[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}").fillna(False).astype(bool)
    out = np.zeros(len(text), dtype=bool)
    if ok.any():
        moved = compact[ok].str[4:] + compact[ok].str[:4]  # ISO 13616: country + check last
        codes = np.array(moved.tolist(), dtype="U34").view(np.uint32).reshape(-1, 34)
        remainder = np.zeros(len(codes), dtype=np.int64)
        for column in codes.T.astype(np.int64):
            digit = (column >= ord("0")) & (column <= ord("9"))
            letter = column >= ord("A")
            remainder = np.where(digit, (remainder * 10 + column - ord("0")) % 97, remainder)
            remainder = np.where(letter, (remainder * 100 + column - ord("A") + 10) % 97,
                                 remainder)
        out[ok.to_numpy()] = remainder == 1
    return pd.Series(out, index=text.index)


def _is_phone(text: pd.Series) -> pd.Series:
    """Phone-number characters, 7-15 digits, and not a plain number."""
    shape = text.str.fullmatch(r"(?:\+|00)?[0-9 ().\-/]{6,24}[0-9]").fillna(False).astype(bool)
    digits = _digit_count(text)
    not_number = pd.to_numeric(text, errors="coerce").isna()
    separated = text.str.contains(r"[ ().\-/+]", regex=True).fillna(False).astype(bool)
    return shape & digits.between(7, 15) & not_number & separated


def _is_phone_named(text: pd.Series) -> pd.Series:
    shape = text.str.fullmatch(r"(?:\+|00)?[0-9 ().\-/]{6,24}[0-9]").fillna(False).astype(bool)
    return shape & _digit_count(text).between(7, 15)


def is_phone_name(words: list[str]) -> bool:
    """'phone', 'mobile', 'phone_number', 'tel_no' …"""
    return bool(words) and (words[-1] in _PHONE_TOKENS
                            or (len(words) > 1 and words[-2] in _PHONE_TOKENS))


def is_postcode_name(words: list[str]) -> bool:
    joined = "".join(words)
    return (joined.endswith(("zip", "zipcode", "postcode", "postalcode", "postcodes"))
            or (bool(words) and words[-1] in {"plz", "postal"}))


@dataclass(frozen=True)
class _PiiRule:
    """Values matching ``matches`` (≥ 90% of the sample) make the column ``pii_type``.

    ``named``, when set, must also accept the column's name words. ``min_distinct`` keeps
    quasi-identifiers with few values (a 'city' column holding four cities) categorical.
    """

    pii_type: str
    evidence: str
    matches: Callable[[pd.Series], pd.Series]
    named: Callable[[list[str]], bool] | None = None
    min_distinct: int = 0


def _name_part(endings: tuple[str, ...], exact: tuple[str, ...]) -> Callable[[list[str]], bool]:
    """'customer_first_name' ends with 'firstname'; 'fname' only counts as the whole name."""
    def named(words: list[str]) -> bool:
        joined = "".join(words)
        return joined.endswith(endings) or joined in exact
    return named


def _person_name(words: list[str]) -> bool:
    """'name', 'full_name', 'fullname', 'CustomerName' - not 'product_name'."""
    joined = "".join(words)
    if words and words[-1] == "name" and len(words) > 1 and words[-2] in _PERSON_TOKENS:
        return True
    return joined.endswith("name") and joined[:-4] in (_PERSON_TOKENS | {""})


def _address_kind(street: bool) -> Callable[[list[str]], bool]:
    def named(words: list[str]) -> bool:
        ws = set(words)
        if ws & _NOT_POSTAL_ADDRESS:
            return False
        is_street = bool(ws & {"street", "line"}) or "streetaddress" in "".join(words)
        return bool(ws & {"address", "addr", "street"}) and is_street == street
    return named


_ADDRESS_SHAPE = r"(?s)(?=.*[^\W\d_])(?=.*\s).{5,200}"

# Value patterns first (they need no name), then name-led rules; order matters where shapes
# overlap (an SSN is also phone-shaped).
_PII_RULES: tuple[_PiiRule, ...] = (
    _PiiRule("email", "look like e-mail addresses", full_match(_EMAIL)),
    _PiiRule("ip", "look like IPv4 or IPv6 addresses", full_match(f"{_IPV4}|{_IPV6}")),
    _PiiRule("ssn", "look like US social security numbers (ddd-dd-dddd)", full_match(_SSN)),
    _PiiRule("credit_card", "are 13-19-digit card numbers with a valid Luhn checksum",
             _is_credit_card),
    _PiiRule("iban", "are IBANs with a valid checksum", _is_iban),
    _PiiRule("phone", "look like phone numbers (7-15 digits with +, spaces, dashes or "
                      "parentheses)", _is_phone),
    _PiiRule("phone", "are 7-15-digit phone numbers", _is_phone_named,
             named=is_phone_name),
    _PiiRule("postcode", "are short codes with digits",
             full_match(r"(?=.*[0-9])[A-Za-z0-9][A-Za-z0-9 -]{1,9}"), named=is_postcode_name,
             min_distinct=QUASI_IDENTIFIER_MIN_DISTINCT),
    _PiiRule("first_name", "are 1-4 alphabetic words", full_match(_NAME_WORDS),
             named=_name_part(("firstname", "givenname", "forename"), ("fname",))),
    _PiiRule("last_name", "are 1-4 alphabetic words", full_match(_NAME_WORDS),
             named=_name_part(("lastname", "familyname", "surname"), ("lname",))),
    _PiiRule("name", "are 1-4 alphabetic words", full_match(_NAME_WORDS), named=_person_name),
    _PiiRule("street_address", "are several words with letters", full_match(_ADDRESS_SHAPE),
             named=_address_kind(street=True)),
    _PiiRule("address", "are several words with letters", full_match(_ADDRESS_SHAPE),
             named=_address_kind(street=False)),
    _PiiRule("city", "are 1-4 alphabetic words", full_match(_NAME_WORDS),
             named=lambda w: bool(w) and w[-1] in {"city", "town"},
             min_distinct=QUASI_IDENTIFIER_MIN_DISTINCT),
)


def detect_pii(col: Column, text: pd.Series, n_distinct: int) -> PII | str | None:
    """The PII kind, or a note (str) on why a name-suggested PII type was not chosen."""
    words = col.words
    for rule in _PII_RULES:
        if rule.named is not None and not rule.named(words):
            continue
        share = float(rule.matches(text).mean())
        if share >= PII_MIN_SHARE and n_distinct < rule.min_distinct:
            return (f"the name {str(col.name)!r} suggests {rule.pii_type} but "
                    f"{n_distinct:,} distinct values are too few for personal data "
                    f"(at least {rule.min_distinct} needed)")
        if share >= PII_MIN_SHARE:
            seen = of_values(len(text), col.n_values)
            if rule.named is None:
                reason = f"pii ({rule.pii_type}): {percent(share)} {seen} {rule.evidence}"
            else:
                reason = (f"pii ({rule.pii_type}): the name {str(col.name)!r} suggests "
                          f"{rule.pii_type.replace('_', ' ')} and {percent(share)} {seen} "
                          f"{rule.evidence}")
            return PII(pii_type=rule.pii_type, reason=reason)
    return None

