"""Fit a single-table model on a dataset larger than memory.

The dataset is read in chunks (:func:`~simulacra.scale.dataset.read_dataset`): its exact
statistics fix each column's domain — the bounds of numbers and dates, whether numbers are
whole, every category — and the model learns the distribution from a uniform sample of
``sample_rows`` rows (the mixture copula fits its mixture on at most 100,000 rows of any table;
a neural model trains on the sample). The model's default sample size is the dataset's row
count.

Under a privacy budget the exact statistics are not used (they were measured without noise):
the model is fitted on the sample alone, as on any table, and its default sample size is the
sample's. Under value protection (a model's default) the exact bounds are not pinned either
(they are the dataset's most extreme values, which protection keeps out of the model), nor the
categories of a column that has any category seen in fewer than
:data:`~simulacra.models.protection.RARE_THRESHOLD` rows of the whole dataset.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pandas as pd

from simulacra.errors import ParameterError
from simulacra.kinds import Categorical, Datetime, Numerical
from simulacra.metadata import Metadata
from simulacra.models.protection import RARE_THRESHOLD
from simulacra.scale.dataset import TableSummary, read_dataset, stream_rows


def fit_dataset(model: Any, source: str | Path, *, sample_rows: int = 1_000_000,
                seed: int | None = None, client: Any = None, scheduler: str | None = None,
                workers: int | None = None, on_violation: str = "drop",
                stream: bool = False) -> Any:
    """Fit ``model`` on the Parquet/CSV dataset ``source`` (a file, folder or glob); return the
    fitted model (for ``auto``, the model it chose).

    ``seed`` picks the sample (default: the model's ``random_state``, else 0); ``client``,
    ``scheduler`` and ``workers`` say where the files are read, as for
    :func:`~simulacra.scale.sampling.sample_partitioned`.

    ``stream=True`` (autoregressive, TabDDPM, TVAE) trains on every row instead of the sample
    alone: the sample fixes the vocabulary, the bins and the held-out rows, and each epoch is
    the next ``sample_rows`` rows of the dataset read in a stream
    (:func:`~simulacra.scale.dataset.stream_rows`: row groups shuffled by ``seed``, pass after
    pass), so the network sees fresh rows every epoch.

    >>> import tempfile, pathlib, simulacra as sim
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> adult = sim.datasets.load_demo()
    >>> for i in range(2):
    ...     adult.iloc[i::2].to_parquet(folder / f"part-{i}.parquet")
    >>> model = fit_dataset(sim.GaussianCopula(random_state=0), folder, sample_rows=5_000,
    ...                     workers=1)
    >>> model.n_rows_, sorted(model.codec_.encoders_["workclass"].categories_) == sorted(
    ...     adult["workclass"].dropna().unique())
    (32561, True)
    """
    if seed is None:
        state = getattr(model, "random_state", None)
        seed = int(state) if isinstance(state, int) else 0
    if stream and not getattr(type(model), "streams", False):
        raise ParameterError(f"stream=True (--stream) trains a network epoch by epoch on fresh "
                             f"rows; the {getattr(model, 'name', type(model).__name__)} model "
                             "learns from the sample (autoregressive, tabddpm and tvae stream)")
    if stream and getattr(model, "privacy", None) is not None:
        raise ParameterError("stream=True (--stream) is not offered under a privacy budget: "
                             "DP-SGD's accounting assumes the rows of one table, sampled "
                             "uniformly; fit on the sample")
    sample, summary = read_dataset(source, sample_rows=sample_rows, seed=seed, client=client,
                                   scheduler=scheduler, workers=workers)
    private = getattr(model, "privacy", None) is not None
    protected = not private and bool(getattr(model, "value_protection", False))
    given = model.metadata
    if not private:
        detected = given if given is not None else Metadata.detect(sample)
        model.metadata = pin_domains(detected, summary, sample,
                                     threshold=RARE_THRESHOLD if protected else 1)
    try:
        fitted = model.fit_streaming(sample, stream_rows(source, seed=seed),
                                     on_violation=on_violation) if stream else \
            model.fit(sample, on_violation=on_violation)
    finally:
        model.metadata = given
    if not private:
        fitted.n_rows_ = summary.rows
    return fitted


def pin_domains(metadata: Metadata, summary: TableSummary, sample: pd.DataFrame, *,
                threshold: int = 1) -> Metadata:
    """``metadata`` with each column's domain set from the whole dataset's exact statistics,
    where the metadata leaves it open: number and date bounds, whole numbers, categories (by
    frequency). With a value-protection ``threshold`` above 1, bounds are left open and so are
    the categories of a column with a category seen in fewer than ``threshold`` rows."""
    columns = {}
    for name in metadata:
        kind = metadata[name]
        stats = summary.columns.get(name)
        fields: dict[str, Any] = {} if stats is None else _open_domain(kind, stats,
                                                                       sample[name], threshold)
        columns[name] = kind if not fields else dataclasses.replace(
            kind, **fields, reason=f"{kind.reason}; domain from the whole dataset".lstrip("; "))
    return Metadata(columns, primary_key=metadata.primary_key,
                    constraints=metadata.constraints, sequence_key=metadata.sequence_key,
                    sequence_index=metadata.sequence_index,
                    sequence_reason=metadata.sequence_reason, sensitive=metadata.sensitive)


def _open_domain(kind: Any, stats: Any, values: pd.Series, threshold: int) -> dict[str, Any]:
    """The domain fields of ``kind`` the metadata leaves open, from the exact ``stats``."""
    fields: dict[str, Any] = {}
    if isinstance(kind, Numerical | Datetime) and stats.minimum is not None:
        if threshold <= 1:  # under value protection the dataset's extremes stay out
            low, high = stats.minimum, stats.maximum
            if isinstance(kind, Datetime):
                low, high = pd.Timestamp(low).isoformat(), pd.Timestamp(high).isoformat()
            if kind.minimum is None:
                fields["minimum"] = low
            if kind.maximum is None:
                fields["maximum"] = high
        if isinstance(kind, Numerical) and kind.integer is None and not stats.whole:
            fields["integer"] = False
    elif isinstance(kind, Categorical) and kind.categories is None and stats.counts and set(
            values.dropna().unique().tolist()).issubset(stats.counts) and \
            min(stats.counts.values()) >= threshold:
        counts = stats.counts
        fields["categories"] = tuple(sorted(counts, key=lambda v: (-counts[v], str(v))))
    return fields
