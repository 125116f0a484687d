#!/usr/bin/python3
"""Executes the notebooks in notebooks/ headless (nbclient, kernel python3) and, with --html DIR,
renders them with their outputs to DIR/<name>.html (nbconvert).

Usage: scripts/run-notebooks.py [--build DIR] [--html DIR] [--require-clean] [--timeout S] [NOTEBOOK ...]

Run it with the interpreter the hybridrec module was built for (/usr/bin/python3 by default): the
kernel is ipykernel's python3, which starts this same interpreter. DIR/python of the build folder
(--build, default $HYBRIDREC_BUILD_DIR or build/) is put first on the kernel's PYTHONPATH. The
notebooks read MovieLens 100K from $HYBRIDREC_DATA_MIRROR/ml-100k, else from the shared data
folder beside the checkout; when neither holds it, the run is skipped (exit status 77).

--require-clean first checks that the notebooks carry no outputs or execution counts (they are
committed clean); the executed copies are never written back to notebooks/.

Exit status: 0 when every notebook ran, 1 when a notebook failed (naming it and the cell),
77 when the data set is absent, 2 for bad arguments or missing notebook packages.
"""
import argparse
import os
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SKIP = 77


def find_data():
    candidates = []
    if os.environ.get("HYBRIDREC_DATA_MIRROR"):
        candidates.append(Path(os.environ["HYBRIDREC_DATA_MIRROR"]))
    candidates.append(ROOT.parent / "shared" / "data")
    for c in candidates:
        if (c / "ml-100k" / "u.data").is_file() and (c / "ml-100k" / "u.item").is_file():
            return c.resolve()
    return None


def dirty_cells(nb):
    return [i for i, c in enumerate(nb.cells)
            if c.cell_type == "code" and (c.get("outputs") or c.get("execution_count") is not None)]


def failed_cell(nb):
    """Index, source and error of the first cell that recorded an error output."""
    for i, c in enumerate(nb.cells):
        for o in c.get("outputs", []):
            if o.get("output_type") == "error":
                return i, c.source, f"{o.get('ename')}: {o.get('evalue')}"
    return None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("notebooks", nargs="*", type=Path, help="default: notebooks/*.ipynb")
    ap.add_argument("--build", type=Path, default=Path(os.environ.get("HYBRIDREC_BUILD_DIR", ROOT / "build")),
                    help="build folder whose python/ holds the hybridrec module (default: build/)")
    ap.add_argument("--html", type=Path, help="render the executed notebooks to this folder as HTML")
    ap.add_argument("--require-clean", action="store_true",
                    help="fail when a notebook file carries outputs or execution counts")
    ap.add_argument("--timeout", type=int, default=600, help="seconds per cell (default 600)")
    args = ap.parse_args()

    try:
        import nbformat
        from nbclient import NotebookClient
        from nbclient.exceptions import CellExecutionError
    except ImportError as e:
        print(f"run-notebooks: {e}; install python3-nbclient python3-nbformat python3-nbconvert "
              "python3-ipykernel (scripts/install-deps.sh)", file=sys.stderr)
        return 2

    paths = args.notebooks or sorted((ROOT / "notebooks").glob("*.ipynb"))
    if not paths:
        print("run-notebooks: no notebooks found", file=sys.stderr)
        return 2
    notebooks = [(p, nbformat.read(p, as_version=4)) for p in paths]

    if args.require_clean:
        dirty = [(p, dirty_cells(nb)) for p, nb in notebooks]
        dirty = [(p, cells) for p, cells in dirty if cells]
        for p, cells in dirty:
            print(f"run-notebooks: {p.name} carries outputs or execution counts in cells {cells}; "
                  "clear them before committing (python3 -m nbconvert --clear-output --inplace FILE)", file=sys.stderr)
        if dirty:
            return 1

    data = find_data()
    if data is None:
        print("run-notebooks: skipped, MovieLens 100K not found: set HYBRIDREC_DATA_MIRROR to a folder "
              "holding ml-100k/", file=sys.stderr)
        return SKIP
    os.environ["HYBRIDREC_DATA_MIRROR"] = str(data)
    module_dir = args.build.resolve() / "python"
    if module_dir.is_dir():
        os.environ["PYTHONPATH"] = os.pathsep.join(
            [str(module_dir)] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p])
    os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")  # ipykernel's debugger notice on stderr

    exporter = None
    if args.html:
        from nbconvert import HTMLExporter
        exporter = HTMLExporter()
        args.html.mkdir(parents=True, exist_ok=True)

    failures = []
    total = time.perf_counter()
    for path, nb in notebooks:
        t0 = time.perf_counter()
        client = NotebookClient(nb, timeout=args.timeout, kernel_name="python3",
                                resources={"metadata": {"path": str(path.resolve().parent)}})
        error = None
        try:
            client.execute()
        except CellExecutionError as e:
            error = e
        except Exception as e:  # kernel died, timeout, ...
            error = e
        seconds = time.perf_counter() - t0
        if error is None:
            print(f"run-notebooks: {path.name}: ok ({seconds:.1f} s)", flush=True)
        else:
            where = failed_cell(nb)
            if where is not None:
                i, source, what = where
                first = source.strip().splitlines()[0] if source.strip() else ""
                msg = f"cell {i + 1} of {len(nb.cells)} ({first[:70]!r}) failed: {what}"
            else:
                msg = f"{type(error).__name__}: {str(error).strip().splitlines()[-1] if str(error).strip() else ''}"
            print(f"run-notebooks: {path.name}: FAILED after {seconds:.1f} s: {msg}", file=sys.stderr, flush=True)
            print(re.sub(r"\x1b\[[0-9;]*m", "", str(error))[-4000:], file=sys.stderr)  # no terminal colours
            failures.append(path.name)
        if exporter is not None:
            body, _ = exporter.from_notebook_node(nb)
            out = args.html / (path.stem + ".html")
            out.write_text(body, encoding="utf-8")
            print(f"run-notebooks: wrote {out}", flush=True)
    print(f"run-notebooks: {len(notebooks) - len(failures)}/{len(notebooks)} notebooks ran in "
          f"{time.perf_counter() - total:.1f} s", flush=True)
    if failures:
        print(f"run-notebooks: failed: {', '.join(failures)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
