#!/usr/bin/python3
"""Research probe for cold users: how far an item co-occurrence signal gets on the
cold-users splits hybridrec evaluates, next to popularity. Not part of the product: the signal it
found is built into the ranker (RankerOptions::cooccurrence_*, src/collab/item_neighbours.h).

For each held-out user with revealed items R, an item j scores
    sum_{i in R} C[i, j] / pop_i^a / pop_j^b  (scaled to max 1)  +  mix * pop_j / max(pop),
where C = X^T X is the co-occurrence of the training matrix X (users x items, binary) and pop the
training counts; revealed items are excluded; NDCG@10 over the rest of the user's items, as
`hybridrec evaluate` computes it (binary gain, ideal DCG over min(10, |test|)).

Usage:
  build/hybridrec evaluate --data data/ml-100k --protocol cold-users --seeds 0,1,2 --quiet \\
      --save-split /tmp/split-cu
  /usr/bin/python3 tools/cold_users_cooccurrence.py /tmp/split-cu/seed-0 /tmp/split-cu/seed-1 ...
Prints popularity alone and the best few (a, b, mix) settings, per split and on average. Picking
the best setting on the test splits themselves is optimistic: it bounds what the signal could add.
Needs numpy only.
"""
import itertools
import sys

import numpy as np


def load(path):
    return np.loadtxt(path, delimiter=",", skiprows=1, dtype=np.int64, ndmin=2)


DISCOUNT = 1.0 / np.log2(np.arange(2, 12))


def ndcg10(ranked, relevant):
    dcg = sum(DISCOUNT[r] for r, item in enumerate(ranked[:10]) if item in relevant)
    return dcg / DISCOUNT[: min(10, len(relevant))].sum()


def main(dirs):
    grid = list(itertools.product([0.0, 0.5, 1.0], [0.0, 0.3, 0.5], [0.0, 0.25, 0.5, 1.0]))
    results = {g: [] for g in grid}
    popularity = []
    for d in dirs:
        train, test, revealed = load(d + "/train.csv"), load(d + "/test.csv"), load(d + "/revealed.csv")
        users = int(max(train[:, 0].max(), test[:, 0].max(), revealed[:, 0].max())) + 1
        items = int(max(train[:, 1].max(), test[:, 1].max(), revealed[:, 1].max())) + 1
        x = np.zeros((users, items))
        x[train[:, 0], train[:, 1]] = 1.0
        pop = x.sum(0)
        cooc = x.T @ x
        held_out = np.unique(test[:, 0])
        per_user = [(revealed[revealed[:, 0] == u][:, 1], set(test[test[:, 0] == u][:, 1])) for u in held_out]

        def score(fn):
            total = 0.0
            for seen, relevant in per_user:
                s = fn(seen)
                s[seen] = -np.inf
                total += ndcg10(list(np.argsort(-s, kind="stable")[:10]), relevant)
            return total / len(per_user)

        popularity.append(score(lambda seen: pop.copy()))
        for a, b, mix in grid:
            def fn(seen, a=a, b=b, mix=mix):
                c = (cooc[seen] / np.maximum(pop[seen], 1)[:, None] ** a).sum(0) / np.maximum(pop, 1) ** b
                return c / (c.max() + 1e-12) + mix * pop / pop.max()
            results[(a, b, mix)].append(score(fn))
        print(f"{d}: {len(per_user)} users, popularity {popularity[-1]:.4f}", flush=True)
    print(f"popularity: {np.mean(popularity):.4f} ({', '.join(f'{v:.4f}' for v in popularity)})")
    for (a, b, mix), v in sorted(results.items(), key=lambda kv: -np.mean(kv[1]))[:5]:
        print(f"co-occurrence a={a} b={b} mix={mix}: {np.mean(v):.4f} ({', '.join(f'{x:.4f}' for x in v)})")


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    main(sys.argv[1:])
