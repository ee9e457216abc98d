"""The HTML report of a 50-column table, read as a person would: in headless Chromium at a
desktop and at a phone width. The page must stay inside the screen (tables scroll within
their own boxes), keep its navigation and sections, hold no script, and stay under 2 MB."""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

import simulacra as sim

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "chrome")


def browser() -> str:
    for name in BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    message = ("headless Chromium NOT FOUND: the report's layout tests need it "
               "(Debian: apt-get install chromium)")
    if os.environ.get("CI"):
        pytest.fail(f"{message}; CI must run them")
    pytest.skip(f"!!! {message} !!!")


def _screenshots_script():
    """``benchmarks/report_screenshots.py``, which draws the docs' screenshots of the same
    table (its ``wide_table``: Adult's 15 columns and 35 more)."""
    path = Path(__file__).parents[1] / "benchmarks" / "report_screenshots.py"
    spec = importlib.util.spec_from_file_location("report_screenshots", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


wide_table = _screenshots_script().wide_table


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> Path:
    real, holdout = wide_table(900, 0), wide_table(500, 1)
    synth = sim.GaussianCopula(random_state=0).fit(real).sample(900, rng=0)
    result = sim.evaluate(real, synth, holdout=holdout, target="income", sensitive="sex",
                          random_state=0)
    path = tmp_path_factory.mktemp("report") / "report.html"
    result.to_html(path)
    return path


def test_a_50_column_report_is_one_small_offline_page(report: Path):
    page = report.read_text(encoding="utf-8")
    assert report.stat().st_size < 2_000_000
    assert "<script" not in page and "http://" not in page and "https://" not in page
    links = re.findall(r'<nav class="top".*?</nav>', page, flags=re.S)[0]
    targets = re.findall(r'href="#([^"]+)"', links)
    assert {"scorecard", "fidelity", "utility", "privacy", "fairness", "columns",
            "correlations", "similarity", "worst-pairs", "notes"} <= set(targets)
    for target in targets:  # every link of the navigation lands on a section
        assert f'id="{target}"' in page, target
    # the per-column table names all 50 columns, each linked to its plot
    table = re.findall(r'<table class="columns">.*?</table>', page, flags=re.S)[0]
    assert len(re.findall(r'<tr><td><a href="#dist-\d+">', table)) == 50
    assert page.count("against") >= 4  # the worst pairs drawn, real beside synthetic
    assert "association (Cramér&#39;s V)" in page or "association (Cramér's V)" in page


@pytest.mark.parametrize("width", [400, 1280])
def test_the_page_fits_the_screen_in_chromium(report: Path, width: int, tmp_path: Path):
    probe = tmp_path / "probe.html"
    probe.write_text(report.read_text(encoding="utf-8").replace(
        "</body>", "<script>document.title = 'W' + document.documentElement.scrollWidth + "
        "'x' + window.innerWidth;</script></body>"), encoding="utf-8")
    done = subprocess.run(
        [browser(), "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
         f"--window-size={width},900", "--dump-dom", probe.as_uri()],
        capture_output=True, text=True, timeout=120)
    found = re.search(r"<title>W(\d+)x(\d+)</title>", done.stdout)
    assert found, done.stderr[-2000:]
    scroll, inner = int(found.group(1)), int(found.group(2))
    assert scroll <= inner, f"the page is {scroll} px wide on a {inner} px screen"
    if width < 600:
        assert inner < 600  # the narrow layout was the one measured


def test_screenshots_render(report: Path, tmp_path: Path):
    shot = tmp_path / "shot.png"
    subprocess.run([browser(), "--headless", "--no-sandbox", "--disable-gpu",
                    "--hide-scrollbars", "--window-size=1280,2000", f"--screenshot={shot}",
                    report.as_uri()], capture_output=True, timeout=120, check=True)
    from PIL import Image

    with Image.open(shot) as image:
        assert image.size == (1280, 2000)
        colours = image.convert("RGB").getcolors(maxcolors=1_000_000)
    assert colours is not None and len(colours) > 50  # a page was drawn, not a blank
