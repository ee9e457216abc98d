"""The lab pipeline on Adult: cold run, no-op re-run, a changed sample size, same bytes.

    python benchmarks/pipeline.py [--data ../shared/datasets/adult_train.csv] [--work DIR]
    python benchmarks/pipeline.py --database ../shared/datasets/berka --subject account \
        --target loan.status

With ``--database``, the same five runs on a database folder: the relational synthesizer
(``auto`` per table), a holdout of the subject's rows with everything below them, the whole
database evaluation, gates on integrity, cardinality and the C2ST-Agg AUC; step 3 changes
``sampling.scale`` instead of ``sampling.n``.

Writes a config (mixture copula, full evaluation with a holdout and the income target, the
report, four gates) beside a copy of Adult's training table and runs ``simulacra run`` as a
user would, each as its own process:

1. cold (empty cache) — target ≤ 60 s;
2. no-op re-run (nothing changed) — target ≤ 3 s;
3. ``sampling.n`` changed — only sampling and evaluation re-run;
4. cold again into another output folder — every output must be byte-identical to run 1.

The anchor for the times is ``simulacra --version`` (the interpreter and the CLI's imports),
measured in the same run: times are also given as multiples of it.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).parents[1]
CONFIG = """\
name: adult-lab
seed: 0
output_dir: {out}
source: {{path: adult.csv}}
model: {{name: gaussian_copula, params: {{components: auto}}}}
sampling: {{n: {n}}}
evaluation: {{holdout: 0.2, metrics: all, target: income, report: true}}
gates:
  - {{metric: trend, min: 0.95}}
  - {{metric: detection AUC, max: 0.75}}
  - {{metric: DCR share, max: 0.53}}
  - {{metric: TSTR accuracy, max_gap: 0.02}}
"""
DATABASE_CONFIG = """\
name: database-lab
seed: 0
output_dir: {out}
source: {{path: db}}
model: {{name: auto}}
sampling: {{scale: {n}}}
evaluation: {{holdout: 0.2, subject: {subject}, metrics: all, target: {target}, report: true}}
gates:
  - {{metric: foreign key resolution, min: 1.0}}
  - {{metric: cardinality shape, min: 0.9}}
  - {{metric: trend, min: 0.9}}
  - {{metric: C2ST-Agg AUC, max: 0.75}}
"""


def timed(args: list[str], cwd: Path) -> tuple[float, int, str]:
    started = time.perf_counter()
    done = subprocess.run(args, cwd=cwd, capture_output=True, text=True, check=False)
    return time.perf_counter() - started, done.returncode, done.stdout + done.stderr


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path,
                        default=ROOT.parent / "shared" / "datasets" / "adult_train.csv")
    parser.add_argument("--work", type=Path, default=None)
    parser.add_argument("--database", type=Path, default=None,
                        help="A folder of tables: run the database pipeline instead.")
    parser.add_argument("--subject", default="null", help="The database's subject table.")
    parser.add_argument("--target", default="null", help="The database's TABLE.COLUMN.")
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="simulacra-pipeline-"))
    work.mkdir(parents=True, exist_ok=True)
    if args.database is not None:
        shutil.copytree(args.database, work / "db", dirs_exist_ok=True)
        template = DATABASE_CONFIG.replace("{subject}", args.subject) \
            .replace("{target}", args.target)
        sizes = (1.0, 0.5)
    else:
        shutil.copyfile(args.data, work / "adult.csv")
        template, sizes = CONFIG, (26049, 20000)
    cli = [str(Path(sys.executable).parent / "simulacra")]
    (work / "lab.yaml").write_text(template.format(out="out", n=sizes[0]))
    anchor = min(timed([*cli, "--version"], work)[0] for _ in range(3))
    rows = []

    def step(label: str, config: str) -> dict:
        seconds, code, output = timed([*cli, "run", config], work)
        record = json.loads((work / ("out2" if "2" in config else "out") / "run.json")
                            .read_text())
        ran = [s["name"] for s in record["steps"] if not s["cached"]]
        rows.append((label, seconds, code, ran))
        print(f"{label:<28} {seconds:7.2f} s  ({seconds / anchor:6.1f}x anchor)  exit {code}  "
              f"ran: {', '.join(ran) or 'nothing'}", flush=True)
        if code not in (0, 3):
            print(output)
            raise SystemExit(1)
        return record

    print(f"anchor: `simulacra --version` {anchor:.2f} s; data {args.database or args.data}",
          flush=True)
    cold = step("1 cold", "lab.yaml")
    step("2 no-op re-run", "lab.yaml")
    (work / "lab.yaml").write_text(template.format(out="out", n=sizes[1]))
    step("3 sample size changed", "lab.yaml")
    (work / "lab.yaml").write_text(template.format(out="out", n=sizes[0]))
    (work / "lab2.yaml").write_text(template.format(out="out2", n=sizes[0]))
    step("4 cold, another folder", "lab2.yaml")
    step(f"5 back to {sizes[0]}", "lab.yaml")
    outputs = sorted(str(p.relative_to(work / "out")) for p in (work / "out").rglob("*")
                     if p.is_file() and ".cache" not in p.parts and p.name != "run.json")
    same = {name: (work / "out" / name).read_bytes() == (work / "out2" / name).read_bytes()
            for name in outputs}
    print("byte-identical outputs (runs 5 and 4):", same, flush=True)
    stages = {s["name"]: s["computed_seconds"] for s in cold["steps"]}
    print("cold run steps (s):", stages)
    print("cold evaluation stages (s):", cold["evaluation_seconds"]["stage_seconds"])
    shown = ("trend", "detection AUC", "DCR share", "TSTR accuracy", "shape",
             "cardinality shape", "AVG 2-way", "C2ST-Agg AUC", "foreign key resolution",
             "TSTR ROC-AUC")
    print("metrics:", {k: round(v, 4) for k, v in cold["metrics"].items()
                       if v is not None and k in shown})
    print("gates:", [(g["metric"], g["bound"], g["passed"]) for g in cold["gates"]])


if __name__ == "__main__":
    main()
