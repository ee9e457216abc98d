"""The lab notebooks in ``notebooks/`` run from top to bottom, and are committed clean.

Each notebook runs with nbclient in a fresh ``python3`` kernel of this interpreter, in a
temporary working directory (the notebooks write their reports and model files where they
run), with ``SIMULACRA_NOTEBOOK_SMALL=1``: a 2,000-row sample and short fits. The notebooks'
own ``assert`` cells check their figures; a failing cell fails the test with its traceback.

The kernels get one OpenMP thread. On shared cores, scikit-learn's and torch's OpenMP threads
wait for each other, and an evaluation that takes 1.4 s with one thread took 20–55 s with two
(measured on 2 busy cores); the figures are the same either way.

Committed notebooks carry no outputs and no execution counts: results belong to whoever runs
them, and outputs in git bloat diffs and can hold data.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")

ROOT = Path(__file__).parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
CELL_TIMEOUT = 600  # seconds per cell; small mode needs a few seconds for most
# files each notebook leaves in its working directory
WRITES = {
    "01_ctgan_adult.ipynb": ["metadata.yaml", "ctgan_adult_report.html",
                             "ctgan_adult_quality.json", "ctgan_adult.simz"],
    "02_choosing_a_model.ipynb": ["report_*.html"],
    "04_pipeline_run.ipynb": ["pipeline-lab/out/run.json", "pipeline-lab/out/refit/run.json",
                              "pipeline-lab/out/drift.json"],
    "05_database.ipynb": ["shop/users.csv", "shop/metadata.yaml", "shop_report.html",
                          "shop_quality.json", "shop.simz", "shop_pipeline.yaml",
                          "shop-out/run.json", "shop-out/synthetic/orders.csv"],
    "06_sequences.ipynb": ["events_report.html"],
}


def test_there_are_notebooks():
    assert NOTEBOOKS, "no notebooks found in notebooks/"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_committed_without_outputs(path: Path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    dirty = [i for i, cell in enumerate(nb.cells) if cell.cell_type == "code"
             and (cell.get("outputs") or cell.get("execution_count") is not None)]
    assert not dirty, (
        f"{path.name}: code cells {dirty} hold outputs or execution counts; clear them "
        f"before committing (Jupyter: Edit > Clear Outputs of All Cells, or "
        f"jupyter nbconvert --clear-output --inplace {path.relative_to(ROOT)})")
    assert nb.metadata.get("kernelspec", {}).get("name") == "python3", path.name
    first = next(cell for cell in nb.cells if cell.cell_type == "code")
    assert "SIMULACRA_NOTEBOOK_SMALL" in first.source, (
        f"{path.name}: the first code cell must read SIMULACRA_NOTEBOOK_SMALL")


def kernel_command() -> list[str]:
    """The command jupyter_client would start for kernel ``python3``, as it formats it."""
    from jupyter_client import KernelManager
    from jupyter_client.kernelspec import NoSuchKernel

    try:
        return KernelManager(kernel_name="python3").format_kernel_cmd()
    except NoSuchKernel:
        return []


@pytest.fixture
def python3_kernel(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Kernel ``python3`` runs this interpreter; Jupyter and IPython write only under tmp.

    When the ``python3`` kernel spec found first (the user's, the environment's or the
    system's) starts another Python, a spec for ``sys.executable`` is written to a temporary
    folder put first on ``JUPYTER_PATH``.
    """
    pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(tmp_path / "jupyter-runtime"))
    monkeypatch.setenv("IPYTHONDIR", str(tmp_path / "ipython"))
    command = kernel_command()
    if not command or command[0] != sys.executable:
        spec = tmp_path / "jupyter" / "kernels" / "python3"
        spec.mkdir(parents=True)
        (spec / "kernel.json").write_text(json.dumps({
            "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
            "display_name": "Python 3 (the test interpreter)",
            "language": "python",
        }), encoding="utf-8")
        paths = [str(tmp_path / "jupyter"), os.environ.get("JUPYTER_PATH", "")]
        monkeypatch.setenv("JUPYTER_PATH", os.pathsep.join(p for p in paths if p))
        command = kernel_command()
    assert command and command[0] == sys.executable, (
        f"kernel python3 would run {command[:1]}, not the test interpreter {sys.executable}")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_runs(path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                       python3_kernel: None):
    pytest.importorskip("torch")  # notebooks 01, 02, 05 and 06 fit neural networks
    from nbclient import NotebookClient

    monkeypatch.setenv("SIMULACRA_NOTEBOOK_SMALL", "1")
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    monkeypatch.delenv("MPLBACKEND", raising=False)  # the kernel's inline backend, as in Jupyter
    work = tmp_path / "work"
    work.mkdir()
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, kernel_name="python3", timeout=CELL_TIMEOUT,
                            resources={"metadata": {"path": str(work)}})
    client.execute()  # raises CellExecutionError, with the cell and traceback, on any error
    errors = [out for cell in nb.cells if cell.cell_type == "code"
              for out in cell.outputs if out.output_type == "error"]
    assert not errors
    for pattern in WRITES.get(path.name, []):
        found = list(work.glob(pattern))
        assert found and all(f.stat().st_size > 0 for f in found), (
            f"{path.name} did not write {pattern}")
