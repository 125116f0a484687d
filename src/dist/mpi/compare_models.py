#!/usr/bin/python3
"""Compares the ALS factors of two model directories row by row.

    compare_models.py REFERENCE CANDIDATE [TOLERANCE]

Passes (exit 0) when both have the same user and item ids in the same order and every row of
user_factors.npy and item_factors.npy satisfies ||a - b|| <= TOLERANCE * max(||a||, 1e-12)
(relative per row, default 1e-5). Prints the worst relative difference of each matrix."""
import json
import sys

import numpy as np


def main():
    ref, cand = sys.argv[1], sys.argv[2]
    tol = float(sys.argv[3]) if len(sys.argv) > 3 else 1e-5
    ok = True
    for name in ("users.json", "items.json"):
        try:
            a = json.load(open(f"{ref}/{name}"))
            b = json.load(open(f"{cand}/{name}"))
        except FileNotFoundError:
            continue
        if a != b:
            print(f"{name}: ids differ")
            ok = False
    for name in ("user_factors.npy", "item_factors.npy"):
        a = np.load(f"{ref}/{name}").astype(np.float64)
        b = np.load(f"{cand}/{name}").astype(np.float64)
        if a.shape != b.shape:
            print(f"{name}: shapes differ {a.shape} vs {b.shape}")
            ok = False
            continue
        rel = np.linalg.norm(a - b, axis=1) / np.maximum(np.linalg.norm(a, axis=1), 1e-12)
        worst = float(rel.max()) if rel.size else 0.0
        print(f"{name}: worst relative row difference {worst:.3g} (tolerance {tol:g})")
        ok = ok and worst <= tol
    sys.exit(0 if ok else 1)


main()
