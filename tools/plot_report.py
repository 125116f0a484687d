#!/usr/bin/python3
"""Draws the charts of `hybridrec evaluate --report DIR` from DIR/report.json (matplotlib).

Usage: plot_report.py REPORT_JSON OUT_DIR
Writes metrics.png, weight_curve.png, embeddings_pca.png, als_loss.png, diversity_sweep.png
(each only when its data is in the report). Exit code 3 when matplotlib is missing, 2 on a bad report.
"""
import json
import sys

try:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
except ImportError:
    sys.stderr.write("plot_report.py: matplotlib is missing (apt-get install python3-matplotlib)\n")
    sys.exit(3)


def metrics_chart(report, out):
    evals = report.get("evaluations") or [report["evaluation"]]
    fig, axes = plt.subplots(1, len(evals), figsize=(6 * len(evals), 4), squeeze=False)
    for ax, ev in zip(axes[0], evals):
        models = list(ev["models"].keys())
        ks = ev["k"]
        k = 10 if 10 in ks else ks[0]
        keys = [("ndcg@%d" % k, "NDCG@%d" % k), ("recall@%d" % k, "Recall@%d" % k)]
        width = 0.8 / len(keys)
        for j, (key, label) in enumerate(keys):
            vals = [ev["models"][m].get(key, 0.0) for m in models]
            xs = [i + (j - (len(keys) - 1) / 2) * width for i in range(len(models))]
            bars = ax.bar(xs, vals, width, label=label)
            for b, v in zip(bars, vals):
                ax.annotate("%.3f" % v, (b.get_x() + b.get_width() / 2, v), ha="center", va="bottom", fontsize=7)
        ax.set_xticks(range(len(models)))
        ax.set_xticklabels(models)
        ax.set_title("%s, protocol %s" % (ev.get("dataset", ""), ev.get("protocol", "")))
        ax.set_ylabel("metric on test split")
        ax.legend()
    fig.tight_layout()
    fig.savefig(out + "/metrics.png", dpi=110)
    plt.close(fig)


def weight_chart(wc, out):
    fig, ax1 = plt.subplots(figsize=(7, 4))
    sizes = wc.get("history_sizes", [])
    if sizes:
        ax1.hist(sizes, bins=50, color="#cccccc", label="users' training history size")
        ax1.set_ylabel("users")
    ax2 = ax1.twinx()
    ax2.plot(wc["sizes"], wc["w"], color="C0", linewidth=2,
             label="w_u (T=%g, w_max=%g)" % (wc["T"], wc["w_max"]))
    ax2.set_ylim(0, 1.05)
    ax2.set_ylabel("collaborative weight w_u")
    ax1.set_xlabel("history size |I_u|")
    ax1.set_title("Adaptive fusion weight against history size")
    lines = ax1.get_legend_handles_labels()
    lines2 = ax2.get_legend_handles_labels()
    ax2.legend(lines[0] + lines2[0], lines[1] + lines2[1], loc="center right")
    fig.tight_layout()
    fig.savefig(out + "/weight_curve.png", dpi=110)
    plt.close(fig)


def pca_chart(pca, out):
    fig, ax = plt.subplots(figsize=(7, 6))
    genres = pca["genre"]
    counts = {}
    for g in genres:
        counts[g] = counts.get(g, 0) + 1
    order = sorted(counts, key=lambda g: -counts[g])
    shown = order[:10]
    cmap = plt.get_cmap("tab10")
    for idx, g in enumerate(shown):
        xs = [x for x, gg in zip(pca["x"], genres) if gg == g]
        ys = [y for y, gg in zip(pca["y"], genres) if gg == g]
        ax.scatter(xs, ys, s=6, color=cmap(idx), label="%s (%d)" % (g, counts[g]), alpha=0.7)
    rest_x = [x for x, g in zip(pca["x"], genres) if g not in shown]
    rest_y = [y for y, g in zip(pca["y"], genres) if g not in shown]
    if rest_x:
        ax.scatter(rest_x, rest_y, s=6, color="#bbbbbb", label="other (%d)" % len(rest_x), alpha=0.5)
    ax.set_title("Item embeddings (%s), PCA to 2-D, coloured by main genre" % pca.get("encoder", ""))
    ax.set_xlabel("PC1")
    ax.set_ylabel("PC2")
    ax.legend(fontsize=7, markerscale=2)
    fig.tight_layout()
    fig.savefig(out + "/embeddings_pca.png", dpi=110)
    plt.close(fig)


def loss_chart(loss, out):
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot(range(1, len(loss) + 1), loss, marker="o")
    ax.set_xlabel("ALS iteration")
    ax.set_ylabel("training objective")
    ax.set_title("ALS loss by iteration")
    fig.tight_layout()
    fig.savefig(out + "/als_loss.png", dpi=110)
    plt.close(fig)


def sweep_chart(sweep, out):
    """NDCG@K against intra-list content distance@K (left) and genre diversity@K (right), one curve
    per K, each point labelled with its lambda. Reports without the content distance get the
    genre panel only."""
    panels = [("ild", "intra-list genre diversity (ILD@K)")]
    if all("content_ild@%d" % sweep["ks"][0] in p for p in sweep["points"]):
        panels.insert(0, ("content_ild", "intra-list content distance (Dist@K)"))
    fig, axes = plt.subplots(1, len(panels), figsize=(6 * len(panels), 4.2), squeeze=False)
    for ax, (key, label) in zip(axes[0], panels):
        for k in sweep["ks"]:
            xs = [p["%s@%d" % (key, k)] for p in sweep["points"]]
            ys = [p["ndcg@%d" % k] for p in sweep["points"]]
            ax.plot(xs, ys, marker="o", label="K = %d" % k)
            for p, x, y in zip(sweep["points"], xs, ys):
                ax.annotate("%g" % p["lambda"], (x, y), textcoords="offset points", xytext=(4, 4), fontsize=7)
        ax.set_xlabel(label)
        ax.set_ylabel("NDCG@K")
        ax.set_title("Accuracy vs diversity (MMR weight lambda)")
        ax.legend()
    fig.tight_layout()
    fig.savefig(out + "/diversity_sweep.png", dpi=110)
    plt.close(fig)


def main():
    if len(sys.argv) != 3:
        sys.stderr.write("usage: plot_report.py REPORT_JSON OUT_DIR\n")
        return 2
    try:
        with open(sys.argv[1]) as f:
            report = json.load(f)
    except (OSError, ValueError) as e:
        sys.stderr.write("plot_report.py: cannot read %s: %s\n" % (sys.argv[1], e))
        return 2
    out = sys.argv[2]
    if "evaluation" not in report:
        sys.stderr.write("plot_report.py: %s has no \"evaluation\" object\n" % sys.argv[1])
        return 2
    metrics_chart(report, out)
    charts = report.get("charts", {})
    if charts.get("weight_curve"):
        weight_chart(charts["weight_curve"], out)
    if charts.get("pca"):
        pca_chart(charts["pca"], out)
    if charts.get("als_loss"):
        loss_chart(charts["als_loss"], out)
    if charts.get("diversity_sweep"):
        sweep_chart(charts["diversity_sweep"], out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
