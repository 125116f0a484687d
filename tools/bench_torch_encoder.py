#!/usr/bin/python3
"""PyTorch side of the encoder benchmark: the all-MiniLM-L6-v2 architecture (hidden 384,
6 layers, 12 heads, FFN 1536, vocab 30522) with random weights, eager and TorchScript, on
the same batch x length shapes as bench/bench_encoder.cc, then (with --cpp) the C++ benchmark
on the same machine right after, and a side-by-side table of medians.

Usage (2 threads, PyTorch at its best: tcmalloc preloaded when installed, passive OpenMP wait):
  OMP_WAIT_POLICY=PASSIVE [LD_PRELOAD=/usr/lib/x86_64-linux-gnu/libtcmalloc.so.4] \\
    /usr/bin/python3 tools/bench_torch_encoder.py --cpp build/bench/bench_encoder
Needs Debian's python3-torch only (the model class is tools/make_minilm_fixture.py's Bert).
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_minilm_fixture import Bert  # noqa: E402

CONFIG = {"hidden_act": "gelu", "hidden_size": 384, "intermediate_size": 1536, "layer_norm_eps": 1e-12,
          "max_position_embeddings": 512, "num_attention_heads": 12, "num_hidden_layers": 6,
          "type_vocab_size": 2, "vocab_size": 30522}
SHAPES = [(1, 16), (1, 32), (1, 128), (32, 16), (32, 32), (32, 128), (128, 16), (128, 32), (128, 128)]


def flops_per_token(seq_len):
    H, I, L = CONFIG["hidden_size"], CONFIG["intermediate_size"], CONFIG["num_hidden_layers"]
    return L * (2.0 * (4 * H * H + 2 * H * I) + 4.0 * seq_len * H)  # same count as BertModel::Flops


def time_torch(fn, ids, mask, reps, min_time):
    fn(ids, mask)  # warm-up
    samples = []
    for _ in range(reps):
        n, t0 = 0, time.perf_counter()
        while True:
            fn(ids, mask)
            n += 1
            dt = time.perf_counter() - t0
            if dt >= min_time:
                break
        samples.append(dt / n)
    return statistics.median(samples)


def run_cpp(binary, reps, min_time, shapes):
    pattern = "|".join("BM_MiniLmForward/batch:%d/len:%d/blas_threads:0/" % s for s in shapes) + "|BM_Sgemm"
    out = subprocess.run([binary, "--benchmark_filter=" + pattern,
                          "--benchmark_repetitions=%d" % reps, "--benchmark_report_aggregates_only=true",
                          "--benchmark_min_time=%g" % min_time, "--benchmark_format=json"],
                         check=True, capture_output=True, text=True).stdout
    res = {}
    for b in json.loads(out)["benchmarks"]:
        if b.get("aggregate_name") != "median":
            continue
        res[b["run_name"]] = b
    return res


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--min-time", type=float, default=0.5)
    ap.add_argument("--shapes", default="", help="e.g. 32x16,32x32 (default: all)")
    ap.add_argument("--cpp", help="path to bench_encoder to run right after, for a side-by-side table")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    shapes = SHAPES if not args.shapes else [tuple(int(v) for v in s.split("x")) for s in args.shapes.split(",")]

    model = Bert(dict(CONFIG)).eval()
    with torch.no_grad():
        for p in model.parameters():
            p.normal_(0.0, 0.02)
    print("torch %s, %d threads, OMP_WAIT_POLICY=%s, LD_PRELOAD=%s" % (
        torch.__version__, torch.get_num_threads(), os.environ.get("OMP_WAIT_POLICY", "-"),
        os.environ.get("LD_PRELOAD", "-")))

    torch_res = {}
    for b, L in shapes:
        ids = torch.randint(1000, 30000, (b, L))
        mask = torch.ones(b, L, dtype=torch.long)
        with torch.inference_mode():
            eager = time_torch(model, ids, mask, args.reps, args.min_time)
            traced = torch.jit.freeze(torch.jit.trace(model, (ids, mask)))
            script = time_torch(traced, ids, mask, args.reps, args.min_time)
        best = min(eager, script)
        torch_res[(b, L)] = best
        print("torch  batch %3d len %3d: eager %8.1f sent/s, torchscript %8.1f sent/s, best %6.1f GFLOP/s" % (
            b, L, b / eager, b / script, b * L * flops_per_token(L) / best * 1e-9), flush=True)

    if not args.cpp:
        return
    cpp = run_cpp(args.cpp, args.reps, args.min_time, shapes)
    gemm = next((v for k, v in cpp.items() if k.startswith("BM_Sgemm")), None)
    gemm_gflops = gemm["GFLOP/s"] if gemm else float("nan")
    print("\nsgemm 2048^3, %d threads: %.1f GFLOP/s (median)" % (args.threads, gemm_gflops))
    print("%-14s %12s %12s %8s %10s %10s" % ("batch x len", "torch sent/s", "C++ sent/s", "ratio", "C++ GFLOP/s", "% of GEMM"))
    for b, L in shapes:
        key = "BM_MiniLmForward/batch:%d/len:%d/blas_threads:0/min_time:1.000/real_time" % (b, L)
        if key not in cpp:
            continue
        c = cpp[key]
        sps, gf = c["sent/s"], c["GFLOP/s"]
        tsps = b / torch_res[(b, L)]
        print("%-14s %12.1f %12.1f %7.2fx %10.1f %9.0f%%" % ("%d x %d" % (b, L), tsps, sps, sps / tsps, gf,
                                                             100 * gf / gemm_gflops))


if __name__ == "__main__":
    main()
