"""The report of a 50-column table, and screenshots of it in headless Chromium for the docs.

Adult's 15 columns and 35 more (correlated measures, heavy-tailed amounts, segments), fitted
with the Gaussian copula and evaluated with ``sex`` as the sensitive column; the page is
screenshot at 1280 px (a desktop) and 400 px (a phone), each section of interest cut out, and
the images written in a 256-colour palette:

    python benchmarks/report_screenshots.py --out docs/screenshots
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

import simulacra as sim

#: (file name, window width, section id to start at, height in px)
SHOTS = (("report-desktop-top.png", 1280, None, 1500),
         ("report-desktop-relationships.png", 1280, "correlations", 1500),
         ("report-phone.png", 400, None, 1400))


def wide_table(n: int, seed: int) -> pd.DataFrame:
    """Adult's 15 columns and 35 more: correlated measures, heavy-tailed amounts, segments."""
    rng = np.random.default_rng(seed)
    frame = sim.datasets.load_demo().sample(n, random_state=seed).reset_index(drop=True)
    factors = rng.normal(size=(n, 5))
    for i in range(20):
        frame[f"measure_{i:02d}"] = (factors[:, i % 5] * (i + 1) + rng.normal(size=n)).round(2)
    for i in range(8):
        frame[f"amount_{i}"] = np.exp(rng.normal(8 + i % 3, 1.5, n)).round(0)
    for i in range(7):
        frame[f"segment_{i}"] = np.where(factors[:, i % 5] > 0, "high", "low") if i % 2 \
            else rng.choice(list("ABCDEFGHIJKL"), n)
    return frame


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("docs/screenshots"))
    parser.add_argument("--rows", type=int, default=3000)
    args = parser.parse_args()
    from PIL import Image

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        raise SystemExit("needs headless Chromium (Debian: apt-get install chromium)")
    real, holdout = wide_table(args.rows, 0), wide_table(args.rows // 2, 1)
    synth = sim.GaussianCopula(random_state=0).fit(real).sample(args.rows, rng=0)
    result = sim.evaluate(real, synth, holdout=holdout, target="income", sensitive="sex")
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        page = Path(tmp) / "report.html"
        result.to_html(page, reproducible=True)
        print(f"report: {page.stat().st_size / 1e6:.2f} MB for {real.shape[1]} columns")
        for name, width, section, height in SHOTS:
            top = section_top(chromium, page, section, width) if section else 0
            shot = Path(tmp) / name
            subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu",
                            "--hide-scrollbars", f"--window-size={width},{top + height}",
                            f"--screenshot={shot}", page.as_uri()], check=True,
                           capture_output=True)
            with Image.open(shot) as image:
                part = image.convert("RGB").crop((0, top, width, top + height))
                part.quantize(colors=256).save(args.out / name, optimize=True)
            print(f"wrote {args.out / name}")


def section_top(chromium: str, page: Path, section: str, width: int) -> int:
    """Where the section starts on the page at this width, in px (read by a copy of the page
    that writes it into its title)."""
    probe = page.with_name("probe.html")
    probe.write_text(page.read_text(encoding="utf-8").replace(
        "</body>", f"<script>document.title = 'Y' + Math.round(document.getElementById("
        f"'{section}').getBoundingClientRect().top);</script></body>"), encoding="utf-8")
    done = subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu",
                           f"--window-size={width},900", "--dump-dom", probe.as_uri()],
                          check=True, capture_output=True, text=True)
    return int(done.stdout.split("<title>Y", 1)[1].split("<", 1)[0])


if __name__ == "__main__":
    main()
