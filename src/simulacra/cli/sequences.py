"""Event tables on the command line: ``fit --sequence-key``, ``sample`` of entities,
``sample --context`` and ``metadata --sequence-key``.

An event table has one row per event and a column naming each event's entity
(``--sequence-key``); its events are ordered by ``--sequence-index`` (a date or a counter,
detected when absent). ``--context ctx.csv`` at fit time gives the entities' own columns in a
table of their own (one row per entity, with the key), joined to their events. ``sample -n N``
then counts entities, and ``sample --context ctx.csv`` draws one sequence per row of a table of
entities.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from simulacra.cli.common import console, print_metadata, print_privacy

if TYPE_CHECKING:
    import pandas as pd

    from simulacra.metadata import Metadata

MODEL = "sequential"
#: New entities drawn (and held in memory) at once by `simulacra sample -n` of a sequence model.
CHUNK_ENTITIES = 50_000
#: The model of fixed-length windows (``--model window-diffusion``).
WINDOW_MODEL = "window-diffusion"


def wants_sequences(model: str | None, sequence_key: str | None,
                    metadata: Metadata | None) -> bool:
    """Whether ``fit`` is fitting an event table."""
    return model in (MODEL, WINDOW_MODEL) or sequence_key is not None or (
        metadata is not None and metadata.sequence_key is not None)


def join_context(events: pd.DataFrame, context: pd.DataFrame, key: str,
                 source: str) -> tuple[pd.DataFrame, list[str]]:
    """``events`` with their entity's columns from ``context`` (one row per entity), and the
    names of those columns."""
    from simulacra.errors import DataError

    if key not in context.columns:
        raise DataError(f"--context {source} has no column {key!r} (the --sequence-key); "
                        f"its columns are {list(context.columns)}")
    repeated = int(context[key].duplicated().sum())
    if repeated:
        raise DataError(f"--context {source}: {repeated:,} values of {key!r} repeat; give one "
                        "row per entity")
    shared = sorted(set(context.columns) & set(events.columns) - {key})
    if shared:
        raise DataError(f"--context {source} and the events share columns {shared}; rename or "
                        "drop them in one of the two")
    unknown = ~events[key].isin(context[key])
    if unknown.any():
        raise DataError(f"{int(unknown.sum()):,} events name an entity that --context {source} "
                        f"lacks, e.g. {events.loc[unknown, key].iloc[0]!r}; add those entities")
    columns = [str(c) for c in context.columns if c != key]
    joined = events.merge(context, on=key, how="left", validate="many_to_one", sort=False)
    return joined, columns


def fit_events(data: str, output: Path, *, model: str | None, given: Metadata | None,
               metadata_path: Path | None,
               sequence_key: str | None, sequence_index: str | None,
               context_path: Path | None, seed: int | None, params: dict[str, Any],
               windows: tuple[int, int] | None = None,
               privacy: dict[str, Any] | None = None) -> None:
    """Fit a :class:`~simulacra.SequentialNetwork` (or, with ``model="window-diffusion"``, a
    :class:`~simulacra.WindowDiffusion`) on an event table and save it (``given``:
    the metadata read from ``metadata_path``, or ``None`` to detect it); ``windows``
    ``(length, stride)``: the table is one series, learned as its windows; ``privacy``:
    ``{"privacy": PrivacyBudget}`` (per entity) or nothing."""
    from simulacra.errors import ParameterError
    from simulacra.io import read_table
    from simulacra.metadata import Metadata
    from simulacra.models.sequential import SequentialNetwork
    from simulacra.models.windows import WindowDiffusion

    if model not in (None, MODEL, WINDOW_MODEL):
        raise ParameterError(f"--sequence-key and --window fit the {MODEL!r} model (or "
                             f"{WINDOW_MODEL!r} for fixed-length windows); --model {model} "
                             "does not take sequences")
    if model == WINDOW_MODEL and (context_path is not None or privacy):
        raise ParameterError(f"the {WINDOW_MODEL!r} model takes neither --context nor "
                             f"--epsilon; use the {MODEL!r} model for those")
    privacy = privacy or {}
    if privacy and windows is not None:
        raise ParameterError("--epsilon does not apply to --window: overlapping windows of one "
                             "series share their rows, so no window is an entity of its own")
    events = read_table(data)
    if windows is not None:
        events, given, sequence_key, sequence_index = _as_windows(
            events, windows, given, sequence_key, sequence_index, context_path)
    key = sequence_key or (given.sequence_key if given is not None else None)
    if key is None:
        raise ParameterError("an event table needs --sequence-key COLUMN (the column naming "
                             "each event's entity), or a --metadata file that sets sequence_key")
    params = dict(params)
    context_columns = params.pop("context_columns", None)
    if context_path is not None:
        if context_columns is not None:
            raise ParameterError("give the context as --context FILE or as -p context_columns"
                                 "=[...], not both")
        events, context_columns = join_context(events, read_table(context_path), key,
                                               str(context_path))
    if given is None and privacy:  # detection reads values: under a budget, dtypes only
        md = _with_sequence(Metadata.from_structure(events), events, key, sequence_index)
    elif given is None:
        md = Metadata.detect(events, sequence_key=key, sequence_index=sequence_index)
    else:
        md = _with_sequence(given, events, key, sequence_index)
    title = "Metadata" + (f" from {metadata_path}" if metadata_path else
                          " from the column types only" if privacy else " (detected)")
    if privacy:  # detection's reasons quote the rows
        print_metadata(md.without_reasons(), title + " — reasons withheld: they quote the rows")
    else:
        print_metadata(md, title)
        console.print(md.explain().splitlines()[-1])
    if model == WINDOW_MODEL:
        if context_columns is not None:
            raise ParameterError(f"the {WINDOW_MODEL!r} model has no context columns; leave "
                                 "out -p context_columns")
        maker: Any = WindowDiffusion(md, random_state=seed, **params)
    else:
        maker = SequentialNetwork(md, random_state=seed, context_columns=context_columns,
                                  **params, **privacy)
    started = time.perf_counter()
    synth = maker.fit(events)
    fitted = time.perf_counter() - started
    synth.save(output)
    context = f", context {synth.context_columns_}" if hasattr(synth, "context_columns_") \
        else ""
    size = f"about {synth.n_entities_:,} entities (a noisy count{context})" if privacy else \
        f"{synth.n_entities_:,} entities ({len(events):,} events{context})"  # DP: counts private
    console.print(f"Fitted [bold]{synth.name}[/] on {size} in "
                  f"{fitted:.2f} s; saved to [bold]{output}[/] "
                  f"({output.stat().st_size / 1024:,.0f} KiB).")
    if privacy:
        print_privacy(synth.privacy_report_)


def _as_windows(series: pd.DataFrame, windows: tuple[int, int], given: Metadata | None,
                sequence_key: str | None, sequence_index: str | None,
                context_path: Path | None) -> tuple[pd.DataFrame, Metadata | None, str, str]:
    """``(events, metadata, key, index)`` of a series cut into windows (the metadata's columns
    plus the window number and, without an index, the step)."""
    from simulacra.errors import ParameterError
    from simulacra.kinds import Id, Numerical
    from simulacra.metadata import Metadata
    from simulacra.windows import STEP, WINDOW, cut_windows

    if sequence_key is not None or context_path is not None:
        raise ParameterError("--window makes each window an entity: leave out --sequence-key "
                             "and --context")
    if sequence_index is not None and sequence_index not in series.columns:
        raise ParameterError(f"--sequence-index {sequence_index!r} is not a column of the "
                             f"series; its columns are {list(series.columns)}")
    length, stride = windows
    step = None if sequence_index is not None else STEP
    events = cut_windows(series, length, stride=stride, step=step)
    if given is not None:
        spec = given.to_dict()
        spec.pop("sequence_key", None)
        spec.pop("sequence_index", None)
        spec["columns"] = {
            WINDOW: {**Id(unique=False).to_dict(), "reason": "window number"},
            **({STEP: {**Numerical().to_dict(), "reason": "step within the window"}}
               if step else {}),
            **spec["columns"]}
        given = Metadata.from_dict(spec)
    return events, given, WINDOW, sequence_index or STEP


def _with_sequence(md: Metadata, events: pd.DataFrame, key: str,
                   index: str | None) -> Metadata:
    """``md`` with the flags' key and index; an index neither gives is found in the data."""
    from simulacra.metadata import Metadata
    from simulacra.metadata.sequence import sequence_columns

    spec = md.to_dict()
    if index is None and md.sequence_key == key:
        index = md.sequence_index
    elif index is None:
        _, index, spec["sequence_reason"] = sequence_columns(events, md, key, None)
    spec["sequence_key"], spec["sequence_index"] = key, index
    return Metadata.from_dict(spec)


def sample_events(synth: Any, output: str, *, n: int | None, seed: int | None,
                  context_path: Path | None, prefixes_path: Path | None,
                  events: int | None, conditions: dict[str, Any] | None = None,
                  shares: dict[str, Any] | None = None,
                  chunk_entities: int | None = None) -> None:
    """``n`` entities with their events (``conditions`` and ``shares`` on their context
    columns), one sequence per row of ``context_path``, or what comes after the events of
    ``prefixes_path``. More new entities than ``chunk_entities`` (default
    :data:`CHUNK_ENTITIES`) are drawn and written a chunk at a time (:func:`entity_chunks`)."""
    from simulacra.errors import ParameterError
    from simulacra.io import read_table, write_table

    started = time.perf_counter()
    if events is not None and prefixes_path is None:
        raise ParameterError("--events counts new events after --prefixes; give both")
    if (context_path is not None or prefixes_path is not None) and n is not None:
        raise ParameterError("--context and --prefixes give the entities to draw: they do not "
                             "combine with -n")
    if (conditions or shares) and (context_path is not None or prefixes_path is not None):
        raise ParameterError("--condition and --rebalance choose new entities' contexts: "
                             "they do not combine with --context or --prefixes")
    if context_path is not None and prefixes_path is not None:
        raise ParameterError("give --context (new entities) or --prefixes (entities to "
                             "continue), not both")
    if synth.name == WINDOW_MODEL and (context_path is not None or prefixes_path is not None
                                       or conditions or shares):
        raise ParameterError(f"a {WINDOW_MODEL!r} model draws new windows: give -n (and "
                             "--seed) only; --context, --prefixes, --condition and --rebalance "
                             f"are for the {MODEL!r} model")
    count = synth.n_entities_ if n is None else n
    chunk = chunk_entities or CHUNK_ENTITIES
    if prefixes_path is None and context_path is None and count > chunk:
        import secrets

        from simulacra.io import write_table_chunks

        seed = secrets.randbits(63) if seed is None else seed
        rows, columns = write_table_chunks(entity_chunks(
            synth, count, seed, chunk, conditions=conditions or None, rebalance=shares), output)
        console.print(f"Sampled {count:,} entities, {rows:,} events x {columns} columns in "
                      f"{time.perf_counter() - started:.2f} s (in chunks of {chunk:,} "
                      f"entities, seed {seed}); wrote [bold]{output}[/].")
        return
    if prefixes_path is not None:
        frame = synth.continue_sequences(read_table(prefixes_path), events=events, rng=seed)
    elif context_path is not None:
        frame = synth.sample_sequences(read_table(context_path), rng=seed)
    else:
        frame = synth.sample(count, rng=seed, conditions=conditions or None, rebalance=shares)
    took = time.perf_counter() - started
    write_table(frame, output)
    entities = frame[synth.sequence_key_].nunique()
    console.print(f"Sampled {entities:,} entities, {len(frame):,} events x {frame.shape[1]} "
                  f"columns in {took:.2f} s; wrote [bold]{output}[/].")


def entity_chunks(synth: Any, n: int, seed: int, chunk: int,
                  **options: Any) -> Iterator[pd.DataFrame]:
    """``n`` new entities of a sequence or window model with their events, ``chunk`` entities
    at a time: chunk ``i`` is ``synth.sample(k, rng=Generator(chunk i's seed), **options)``
    (:func:`~simulacra.randomness.iter_chunks`), its entity keys shifted apart from the other
    chunks' (:func:`~simulacra.encoders.identifier.shift_ids`), so memory holds one chunk and
    every key stays unique.
    """
    import numpy as np

    from simulacra.encoders.identifier import shift_ids
    from simulacra.randomness import iter_chunks

    plan = list(iter_chunks(n, seed, chunk))
    key, source = synth.sequence_key_, synth.key_encoder_.format_
    for i, (k, sequence) in enumerate(plan):
        frame = synth.sample(k, rng=np.random.default_rng(sequence), **options)
        frame[key] = shift_ids(frame[key], source, i, len(plan))
        yield frame
