"""Personal data: replaced by realistic fake values from Faker; nothing real is kept.

Only the column's dtype and null share are learned. Faker is seeded from ``rng``, so the same
generator state gives the same values.

>>> enc = PIIEncoder(PII(pii_type="email")).fit(pd.Series(["ann@corp.com", None], name="mail"))
>>> fake = enc.generate(4, np.random.default_rng(0))
>>> int(fake.isna().sum()), bool(fake.dropna().str.contains("@").all())
(2, True)
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import pandas as pd

from simulacra.encoders.base import State
from simulacra.encoders.missing import GeneratedEncoder
from simulacra.errors import DataError, MetadataError, ParameterError
from simulacra.kinds import PII, column_from_dict
from simulacra.randomness import child_seed

#: Faker provider method for each ``pii_type``.
FAKER_METHODS: dict[str, str] = {
    "email": "email", "name": "name", "first_name": "first_name", "last_name": "last_name",
    "phone": "phone_number", "address": "address", "street_address": "street_address",
    "city": "city", "postcode": "postcode", "ip": "ipv4", "ssn": "ssn",
    "credit_card": "credit_card_number", "iban": "iban",
}
#: At most this many Faker calls per ``generate``; larger samples draw from that pool.
POOL_SIZE = 5000


def make_faker(locale: str, rng: np.random.Generator) -> Any:
    """A Faker instance for ``locale`` seeded from ``rng`` (never from global state).

    Only the locale's providers can be reached through it, also by name from inside Faker:
    see :func:`guard_formatters`.
    """
    from faker import Faker

    try:
        fake = Faker(locale)
    except AttributeError as exc:
        raise ParameterError(f"The 'locale' parameter must be a Faker locale such as "
                             f"'en_US'. Got {locale!r} instead.") from exc
    for generator in fake.factories:
        guard_formatters(generator)
    fake.seed_instance(child_seed(rng))
    return fake


def provider_method(fake: Any, name: object) -> Any | None:
    """The method ``name`` of ``fake`` when it is a public method of one of its Faker
    providers (``name``, ``email``, ``pystr_format``…), else None.

    This is the allow-list: Faker's own machinery (``seed_instance``, ``seed``, ``parse``,
    ``format``, ``__class__``…) is not a provider, and calling it would reseed the generator,
    touch global random state or print object addresses, so values would stop depending on the
    seed alone.
    """
    from faker.providers import BaseProvider

    if not isinstance(name, str) or name.startswith("_"):
        return None
    try:
        method = getattr(fake, name, None)
    except Exception:  # Faker's proxy raises TypeError for 'seed'
        return None
    return method if isinstance(getattr(method, "__self__", None), BaseProvider) else None


def guard_formatters(generator: Any) -> None:
    """Let ``generator`` resolve only provider names (see :func:`provider_method`).

    Faker calls other methods by name in templates (``pystr_format("{{name}}")``) and in some
    arguments (``json(data_columns=...)``, ``pylist(value_types=...)``); every such call goes
    through ``Generator.get_formatter``, which this replaces on the instance. A name that is
    not a provider raises :class:`~simulacra.errors.MetadataError`.
    """
    def get_formatter(formatter: str) -> Any:
        method = provider_method(generator, formatter)
        if method is None:
            raise MetadataError(f"{formatter!r} is not a Faker provider; templates "
                                "('{{name}}') and arguments that name providers may only name "
                                "the locale's providers, such as 'name' or 'email'")
        return method

    generator.get_formatter = get_formatter


class PIIEncoder(GeneratedEncoder):
    """Generate fake values of ``spec.pii_type`` (see :data:`FAKER_METHODS`) in ``locale``."""

    name: ClassVar[str] = "pii"

    def __init__(self, spec: PII | None = None, *, locale: str = "en_US") -> None:
        super().__init__()
        self.spec = spec if spec is not None else PII()
        self.locale = locale

    def _fit(self, values: pd.Series) -> None:
        if self.spec.pii_type not in FAKER_METHODS:
            raise DataError(f"column {self.column_!r}: unknown pii_type "
                            f"{self.spec.pii_type!r}; use one of {', '.join(FAKER_METHODS)}")

    def _generate(self, k: int, rng: np.random.Generator) -> pd.Series:
        fake = make_faker(self.locale, rng)
        method_name = FAKER_METHODS[self.spec.pii_type]
        try:
            method = getattr(fake, method_name)
        except AttributeError as exc:
            raise DataError(f"column {self.column_!r}: Faker locale {self.locale!r} cannot "
                            f"make {self.spec.pii_type!r} values; choose another locale "
                            "(e.g. 'en_US')") from exc
        pool = np.array([method() for _ in range(min(k, POOL_SIZE))], dtype=object)
        values = pool if k <= POOL_SIZE else pool[rng.integers(0, POOL_SIZE, size=k)]
        return self._cast(pd.Series(values, dtype=object))

    def _cast(self, values: pd.Series) -> pd.Series:
        """Fake strings in the fitted dtype (numbers keep only their digits)."""
        dtype = pd.api.types.pandas_dtype(self.dtype_)
        if pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype):
            values = values.astype(str).str.replace(r"\D", "", regex=True)
        try:
            return values.astype(dtype)
        except (TypeError, ValueError, OverflowError) as exc:
            raise DataError(f"column {self.column_!r}: fake {self.spec.pii_type} values do not "
                            f"fit its dtype {self.dtype_}; cast the column to str") from exc

    def _get_state(self) -> State:
        return {"spec": self.spec.to_dict(), "locale": self.locale}

    def _set_state(self, state: State) -> None:
        self.spec = column_from_dict(state["spec"], name=self.column_ or "?")
        self.locale = state["locale"]
