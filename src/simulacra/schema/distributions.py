"""Numeric distributions for schema columns: one registry, exact truncation to ``[min, max]``.

Each :class:`Distribution` names its parameters (with defaults and allowed values), draws
vectorized from a :class:`numpy.random.Generator`, and keeps draws inside ``[low, high]``
*exactly* (the distribution truncated to the interval, not clipped): out-of-range draws are
re-drawn a few times, and whatever is still outside after that comes from the inverse CDF on
the interval (scipy), so even a narrow window in a tail costs one pass.

>>> rng = np.random.default_rng(0)
>>> x = DISTRIBUTIONS["normal"].sample(rng, 10_000, {"mean": 0, "std": 1}, 1.0, None)
>>> bool(x.min() >= 1.0), round(float(x.mean()), 1)   # E[X | X >= 1] = 1.525...
(True, 1.5)
>>> sorted(DISTRIBUTIONS)[:4]
['beta', 'binomial', 'exponential', 'gamma']
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

Params = Mapping[str, float]
#: Draws fewer than this share inside [low, high] go straight to the inverse CDF.
_DIRECT_BELOW = 0.25
_REJECTION_ROUNDS = 4


@dataclass(frozen=True)
class Param:
    """One parameter: its name, default (``None``: required) and what values are allowed."""

    name: str
    default: float | None = None
    rule: str = "any"  # any | positive | non_negative | probability | chance (0 < p <= 1) | count

    def problem(self, value: Any) -> str | None:
        if isinstance(value, bool) or not isinstance(value, int | float):
            return f"{self.name} must be a number, got {value!r}"
        if not np.isfinite(value):
            return f"{self.name} must be finite, got {value!r}"
        if self.rule == "positive" and value <= 0:
            return f"{self.name} must be > 0, got {value!r}"
        if self.rule == "non_negative" and value < 0:
            return f"{self.name} must be >= 0, got {value!r}"
        if self.rule == "probability" and not 0 <= value <= 1:
            return f"{self.name} must be between 0 and 1, got {value!r}"
        if self.rule == "chance" and not 0 < value <= 1:
            return f"{self.name} must be > 0 and <= 1, got {value!r}"
        if self.rule == "count" and (value < 0 or value != int(value)):
            return f"{self.name} must be a whole number >= 0, got {value!r}"
        return None


@dataclass(frozen=True)
class Distribution:
    """A named family: parameters, a vectorized sampler, and scipy's frozen law for truncation.

    ``bounded`` families (uniform, beta, triangular) live on ``[min, max]`` itself, which must
    then be given; the others are truncated to whatever bounds are given.
    """

    name: str
    params: tuple[Param, ...]
    draw: Callable[[np.random.Generator, int, dict[str, float], float, float], np.ndarray]
    law: Callable[[dict[str, float]], Any] | None = None
    discrete: bool = False
    bounded: bool = False

    def resolved(self, given: Params) -> dict[str, float]:
        """``given`` with defaults filled in (call :meth:`problems` first)."""
        return {p.name: float(given[p.name]) if p.name in given else float(p.default or 0)
                for p in self.params}

    def problems(self, given: Params, low: float | None, high: float | None) -> list[str]:
        """What is wrong with these parameters and bounds (empty when they are usable)."""
        out = []
        names = {p.name for p in self.params}
        for key in given:
            if key not in names:
                allowed = ", ".join(sorted(names)) or "none"
                out.append(f"{self.name} has no parameter {key!r} (its parameters: {allowed})")
        for p in self.params:
            if p.name not in given:
                if p.default is None:
                    out.append(f"{self.name} needs the parameter {p.name!r}")
                continue
            problem = p.problem(given[p.name])
            if problem:
                out.append(f"{self.name}: {problem}")
        if self.bounded and (low is None or high is None):
            out.append(f"{self.name} needs both min and max")
        if out:
            return out
        if self.name == "triangular" and low is not None and high is not None \
                and not low <= given["mode"] <= high:
            out.append(f"triangular: mode {given['mode']} must lie between min {low:g} and max "
                       f"{high:g}")
        elif (low is not None or high is not None) and \
                not self.mass(self.resolved(given), low, high) > 1e-12:
            shown = ", ".join(f"{k}={v:g}" for k, v in self.resolved(given).items())
            window = " and ".join(f"{side} {bound:g}" for side, bound in
                                  (("min", low), ("max", high)) if bound is not None)
            out.append(f"{self.name}({shown}) puts no probability within {window}; widen the "
                       "range or change the parameters")
        return out

    def mass(self, params: dict[str, float], low: float | None, high: float | None) -> float:
        """Probability of ``[low, high]`` (1 for bounded families)."""
        if self.law is None or self.bounded:
            return 1.0
        law = self.law(params)
        below = _cdf_below(law, low, self.discrete)
        upto = 1.0 if high is None else float(law.cdf(high))
        return upto - below

    def sample(self, rng: np.random.Generator, k: int, params: Params, low: float | None,
               high: float | None) -> np.ndarray:
        """``k`` float draws of the family truncated to ``[low, high]`` (``None``: open)."""
        values = self.resolved(params)
        if self.bounded or (low is None and high is None):
            return self.draw(rng, k, values, low or 0.0, high or 0.0).astype(float)
        assert self.law is not None  # every unbounded family has one
        lo = -np.inf if low is None else low
        hi = np.inf if high is None else high
        if self.mass(values, low, high) < _DIRECT_BELOW:
            return self._inverse(rng, k, values, low, high)
        x = self.draw(rng, k, values, 0.0, 0.0).astype(float)
        bad = np.flatnonzero((x < lo) | (x > hi))
        for _ in range(_REJECTION_ROUNDS):
            if not bad.size:
                return x
            x[bad] = self.draw(rng, bad.size, values, 0.0, 0.0)
            bad = bad[(x[bad] < lo) | (x[bad] > hi)]
        if bad.size:
            x[bad] = self._inverse(rng, bad.size, values, low, high)
        return x

    def _inverse(self, rng: np.random.Generator, k: int, params: dict[str, float],
                 low: float | None, high: float | None) -> np.ndarray:
        """Exact truncated draws by the inverse CDF on ``[F(low), F(high)]``."""
        assert self.law is not None
        law = self.law(params)
        a = _cdf_below(law, low, self.discrete)
        b = 1.0 if high is None else float(law.cdf(high))
        if not b > a:
            from simulacra.errors import DataError

            raise DataError(f"{self.name}({_shown(params)}) puts no probability between "
                            f"{low} and {high}; widen the range or change the parameters")
        x = np.asarray(law.ppf(rng.uniform(a, b, size=k)), dtype=float)
        return np.clip(x, -np.inf if low is None else low, np.inf if high is None else high)


def _shown(params: Mapping[str, float]) -> str:
    return ", ".join(f"{k}={v:g}" for k, v in params.items())


def _cdf_below(law: Any, low: float | None, discrete: bool) -> float:
    """P(X < low) (strictly below, so a discrete ``low`` itself stays allowed)."""
    if low is None:
        return 0.0
    return float(law.cdf(np.ceil(low) - 1)) if discrete else float(law.cdf(low))


def _scipy(name: str, **fixed: Any) -> Callable[..., Any]:
    def make(**kwargs: Any) -> Any:
        from scipy import stats

        return getattr(stats, name)(**kwargs, **fixed)

    return make


_norm, _lognorm, _expon = _scipy("norm"), _scipy("lognorm"), _scipy("expon")
_gamma, _weibull = _scipy("gamma"), _scipy("weibull_min")
_poisson, _binom, _geom = _scipy("poisson"), _scipy("binom"), _scipy("geom")


def _registry(*families: Distribution) -> dict[str, Distribution]:
    return {d.name: d for d in families}


#: Every distribution a numeric (or datetime) column can name, by ``distribution:`` value.
DISTRIBUTIONS: dict[str, Distribution] = _registry(
    Distribution("uniform", (), lambda r, k, p, lo, hi: r.uniform(lo, hi, k), bounded=True),
    Distribution("normal", (Param("mean"), Param("std", rule="positive")),
                 lambda r, k, p, lo, hi: r.normal(p["mean"], p["std"], k),
                 lambda p: _norm(loc=p["mean"], scale=p["std"])),
    Distribution("lognormal", (Param("mu", 0.0), Param("sigma", rule="positive")),
                 lambda r, k, p, lo, hi: r.lognormal(p["mu"], p["sigma"], k),
                 lambda p: _lognorm(s=p["sigma"], scale=np.exp(p["mu"]))),
    Distribution("exponential", (Param("scale", rule="positive"),),
                 lambda r, k, p, lo, hi: r.exponential(p["scale"], k),
                 lambda p: _expon(scale=p["scale"])),
    Distribution("gamma", (Param("shape", rule="positive"), Param("scale", 1.0, "positive")),
                 lambda r, k, p, lo, hi: r.gamma(p["shape"], p["scale"], k),
                 lambda p: _gamma(a=p["shape"], scale=p["scale"])),
    Distribution("weibull", (Param("shape", rule="positive"), Param("scale", 1.0, "positive")),
                 lambda r, k, p, lo, hi: p["scale"] * r.weibull(p["shape"], k),
                 lambda p: _weibull(c=p["shape"], scale=p["scale"])),
    Distribution("beta", (Param("a", rule="positive"), Param("b", rule="positive")),
                 lambda r, k, p, lo, hi: lo + (hi - lo) * r.beta(p["a"], p["b"], k),
                 bounded=True),
    Distribution("triangular", (Param("mode"),),
                 lambda r, k, p, lo, hi: r.triangular(lo, p["mode"], hi, k) if hi > lo
                 else np.full(k, lo), bounded=True),
    Distribution("poisson", (Param("lam", rule="non_negative"),),
                 lambda r, k, p, lo, hi: r.poisson(p["lam"], k),
                 lambda p: _poisson(mu=p["lam"]), discrete=True),
    Distribution("binomial", (Param("trials", rule="count"), Param("p", rule="probability")),
                 lambda r, k, p, lo, hi: r.binomial(int(p["trials"]), p["p"], k),
                 lambda p: _binom(n=int(p["trials"]), p=p["p"]), discrete=True),
    Distribution("geometric", (Param("p", rule="chance"),),
                 lambda r, k, p, lo, hi: r.geometric(p["p"], k),
                 lambda p: _geom(p=p["p"]), discrete=True),
)
