#!/usr/bin/env python3
"""ALS fit, ALS batch recommend and hybrid batch recommend from Python against the same work in C++.

    PYTHONPATH=build/python /usr/bin/python3 python/bench_fit.py [--runs 5] [--threads 2]
        [--data DIR/ml-100k] [--synth-dir /tmp/hybridrec-synth] [--synth-nnz 3000000]
        [--cli build/hybridrec] [--bench-als build/bench/bench_als]

Figures printed (medians over --runs interleaved runs, so both sides see the same machine load):
  fit   ALS.fit(csr) from Python vs `hybridrec train --no-content` (its "trained ALS ... in X s"
        line: the C++ fit alone) on the same dataset, hence the same CSR matrix, same options
        (64 factors, 15 iterations, CG, --threads); on ML-100K and on a `hybridrec synth` set.
        The Python time includes checking the matrix and building its transpose, which the C++
        figure leaves out (the CLI builds both orientations before it starts the clock).
  recommend  ALS.recommend(all users, N=10, train items filtered) users/s from Python vs
        `bench/bench_als mode=recommend` (the same batch loop in C++) on ML-100K.
  hybrid batch  Model.recommend_batch(every user id, k=10) users/s from Python (ids in, ids out,
        so it includes looking the ids up and mapping the answers back) vs `hybridrec recommend
        --all-users` (its "ranked N users ... users/s" line: the ranking alone) on one model
        trained on ML-100K; the two answers are checked to be the same lists.
"""
import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

# Run as a script, this file's folder (python/, the package's sources without the compiled
# module) would come first on sys.path and shadow the built or installed package.
if sys.path and os.path.abspath(sys.path[0]) == os.path.dirname(os.path.abspath(__file__)):
    sys.path.pop(0)
import hybridrec  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def median(xs):
    return statistics.median(xs)


def cli_fit_seconds(cli, data, threads):
    with tempfile.TemporaryDirectory() as out:
        p = subprocess.run([cli, "train", "--data", str(data), "--out", os.path.join(out, "m"), "--no-content",
                            "--quiet", "--threads", str(threads)], capture_output=True, text=True, check=True)
    return float(re.search(r"\) in ([0-9.e+-]+) s", p.stdout).group(1))


def bench_fit(name, data, cli, runs, threads):
    csr = hybridrec.Dataset.load(data).to_csr()
    py, cpp = [], []
    for _ in range(runs):
        als = hybridrec.ALS(threads=threads)
        t0 = time.perf_counter()
        als.fit(csr)
        py.append(time.perf_counter() - t0)
        cpp.append(cli_fit_seconds(cli, data, threads))
    print(f"fit {name}: {csr.shape[0]} users x {csr.shape[1]} items, {csr.nnz} nnz, 64 factors, 15 iterations, "
          f"CG, {threads} threads")
    print(f"  Python ALS.fit   runs {' '.join(f'{x:.3f}' for x in py)} s -> median {median(py):.3f} s")
    print(f"  C++ (CLI train)  runs {' '.join(f'{x:.3f}' for x in cpp)} s -> median {median(cpp):.3f} s")
    print(f"  Python / C++: {median(py) / median(cpp):.3f}")


def bench_recommend(data, bench_als, runs, threads):
    csr = hybridrec.Dataset.load(data).to_csr()
    als = hybridrec.ALS(threads=threads).fit(csr)
    users = np.arange(csr.shape[0])
    py, cpp = [], []
    for _ in range(runs):
        t0 = time.perf_counter()
        als.recommend(users, N=10)
        py.append(len(users) / (time.perf_counter() - t0))
        p = subprocess.run([bench_als, "mode=recommend", "runs=3", f"threads={threads}", f"data={data}/u.data"],
                           capture_output=True, text=True, check=True)
        cpp.append(float(re.search(r"median: ([0-9.]+) users/s", p.stdout).group(1)))
    print(f"recommend ML-100K: top-10 for all {len(users)} users, train items filtered, {threads} threads")
    print(f"  Python ALS.recommend  median {median(py):,.0f} users/s (runs {' '.join(f'{x:.0f}' for x in py)})")
    print(f"  C++ bench_als         median {median(cpp):,.0f} users/s (runs {' '.join(f'{x:.0f}' for x in cpp)})")
    print(f"  Python / C++: {median(py) / median(cpp):.3f}")


def bench_hybrid_batch(data, cli, runs, threads):
    with tempfile.TemporaryDirectory() as tmp:
        model_dir = os.path.join(tmp, "m")
        subprocess.run([cli, "train", "--data", str(data), "--out", model_dir, "--quiet"], capture_output=True,
                       text=True, check=True)
        model = hybridrec.Model.load(model_dir)
        users = model.user_ids
        out_csv = os.path.join(tmp, "all.csv")
        py, cpp = [], []
        for r in range(runs):
            t0 = time.perf_counter()
            items, _ = model.recommend_batch(users, k=10, threads=threads)
            py.append(len(users) / (time.perf_counter() - t0))
            p = subprocess.run([cli, "recommend", "--model", model_dir, "--all-users", "--threads", str(threads),
                                "--out", out_csv if r == 0 else os.devnull], capture_output=True, text=True,
                               check=True)
            cpp.append(float(re.search(r"s: ([0-9.]+) users/s", p.stderr).group(1)))
            if r == 0:
                import csv
                want = {}
                with open(out_csv, newline="") as f:
                    for row in csv.DictReader(f):
                        want.setdefault(row["user"], []).append(row["item"])
                for u, row in zip(users, items):
                    if [x for x in row if x is not None] != want.get(u, []):
                        raise SystemExit(f"hybrid batch: Python and CLI lists differ for user {u}")
    print(f"hybrid batch ML-100K: top-10 for all {len(users)} users, seen items excluded, {threads} threads "
          f"(lists checked equal)")
    print(f"  Python Model.recommend_batch  median {median(py):,.0f} users/s (runs {' '.join(f'{x:.0f}' for x in py)})")
    print(f"  C++ recommend --all-users     median {median(cpp):,.0f} users/s (runs {' '.join(f'{x:.0f}' for x in cpp)})")
    print(f"  Python / C++: {median(py) / median(cpp):.3f}")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    mirror = os.environ.get("HYBRIDREC_DATA_MIRROR", str(ROOT.parent / "shared" / "data"))
    ap.add_argument("--data", default=os.path.join(mirror, "ml-100k"))
    ap.add_argument("--synth-dir", default=os.path.join(tempfile.gettempdir(), "hybridrec-bench-synth"))
    ap.add_argument("--synth-users", type=int, default=100_000)
    ap.add_argument("--synth-items", type=int, default=20_000)
    ap.add_argument("--synth-nnz", type=int, default=3_000_000)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--synth-runs", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--cli", default=str(ROOT / "build" / "hybridrec"))
    ap.add_argument("--bench-als", default=str(ROOT / "build" / "bench" / "bench_als"))
    ap.add_argument("--skip-synth", action="store_true")
    a = ap.parse_args()
    bench_fit("ML-100K", a.data, a.cli, a.runs, a.threads)
    bench_recommend(a.data, a.bench_als, a.runs, a.threads)
    bench_hybrid_batch(a.data, a.cli, a.runs, a.threads)
    if not a.skip_synth:
        synth = Path(a.synth_dir)
        if not (synth / "interactions.csv").exists():
            hybridrec.synth(synth, a.synth_users, a.synth_items, a.synth_nnz, zipf=0.9, seed=0)
        bench_fit(f"synth {a.synth_users}x{a.synth_items}", synth, a.cli, a.synth_runs, a.threads)
    return 0


if __name__ == "__main__":
    sys.exit(main())
