"""Write a dataset's *public schema*: metadata with declared bounds and category lists.

Differentially private benchmarks (the NIST DP synthetic-data challenges, the MST and AIM
papers) publish each column's domain with the data, so that no budget is spent to discover
it. This script derives that domain from the dataset's full published release (train and test
parts together) and writes it as simulacra metadata, for ``simulacra bench --metadata``::

    python benchmarks/public_schema.py ../shared/datasets/adult_train.csv \\
        ../shared/datasets/adult_test.csv -o benchmarks/adult_public_schema.yaml

Without such a file, DP models learn the domain privately (and pay for it).
"""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

import pandas as pd

from simulacra.metadata import Categorical, Metadata, Numerical


def public_schema(frame: pd.DataFrame) -> Metadata:
    detected = Metadata.detect(frame)
    columns = {}
    for name, spec in detected.items():
        column = frame[name].dropna()
        if isinstance(spec, Numerical):
            spec = dataclasses.replace(spec, minimum=float(column.min()),
                                       maximum=float(column.max()))
        elif isinstance(spec, Categorical):
            spec = dataclasses.replace(spec, categories=tuple(sorted(column.unique().tolist())))
        columns[name] = spec
    return Metadata(columns)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tables", nargs="+", type=Path)
    parser.add_argument("-o", "--output", type=Path, required=True)
    args = parser.parse_args()
    frame = pd.concat([pd.read_csv(t) for t in args.tables], ignore_index=True)
    public_schema(frame).save(args.output)
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
