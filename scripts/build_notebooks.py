"""Build the committed notebooks from their sources and execute them in a fresh kernel.

    python scripts/build_notebooks.py            # every notebooks/src/*.py
    python scripts/build_notebooks.py 00_quickstart 03_latency_and_outcomes

A source is a percent-format script: ``# %%`` starts a code cell, ``# %% [markdown]`` a markdown
cell whose lines carry a ``# `` prefix. The built notebook is executed top to bottom with cwd
``notebooks/`` (as nbval runs it), widget state and timing metadata are dropped, and cell ids are
stable, so a rebuild of unchanged sources gives an unchanged file and nbval compares real outputs.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
NB_DIR = ROOT / "notebooks"
SRC_DIR = NB_DIR / "src"


def parse_source(text: str) -> list[nbformat.NotebookNode]:
    """Cells of a percent-format source."""
    cells: list[nbformat.NotebookNode] = []
    kind: str | None = None
    lines: list[str] = []

    def flush() -> None:
        if kind is None:
            return
        body = "\n".join(lines).strip("\n")
        if kind == "markdown":
            body = "\n".join(l[2:] if l.startswith("# ") else l.lstrip("#") for l in body.splitlines())
            cells.append(nbformat.v4.new_markdown_cell(body))
        elif body.strip():
            cell = nbformat.v4.new_code_cell(body)
            # nbclient stops at an error unless the cell is tagged; nbval reads the comment marker.
            if any(l.strip().lstrip("#").strip() == "NBVAL_RAISES_EXCEPTION" for l in body.splitlines()):
                cell.metadata["tags"] = ["raises-exception"]
            cells.append(cell)

    for line in text.splitlines():
        if line.startswith("# %%"):
            flush()
            kind = "markdown" if "[markdown]" in line else "code"
            lines = []
        elif kind is not None:
            lines.append(line)
    flush()
    for i, cell in enumerate(cells):
        cell["id"] = f"cell-{i:02d}"
    return cells


def build(name: str, *, timeout: int = 600) -> Path:
    """Build and execute ``notebooks/<name>.ipynb`` from ``notebooks/src/<name>.py``."""
    src = SRC_DIR / f"{name}.py"
    nb = nbformat.v4.new_notebook()
    nb.cells = parse_source(src.read_text())
    nb.metadata = {
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
    }
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3",
                            resources={"metadata": {"path": str(NB_DIR)}}, store_widget_state=False)
    client.execute()
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
        cell.metadata.pop("ExecuteTime", None)
    nb.metadata.pop("widgets", None)
    out = NB_DIR / f"{name}.ipynb"
    nbformat.write(nb, out)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="source names without .py (default: all)")
    args = parser.parse_args(argv)
    names = args.names or sorted(p.stem for p in SRC_DIR.glob("*.py"))
    for name in names:
        path = build(name)
        print(f"built {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
