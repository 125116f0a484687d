"""hybridrec from Python: datasets, implicit ALS and the trained hybrid recommender.

The heavy lifting happens in the C++ library that the ``hybridrec`` command-line program uses;
this package hands it SciPy / NumPy / pandas objects and returns the same kinds of objects.

* :class:`Dataset` -- interactions and item metadata, loaded from any layout the CLI reads
  (``Dataset.load``) or built from pandas frames (``Dataset.from_frame``).
* :class:`ALS` -- implicit-feedback ALS with an API close to the ``implicit`` package (0.7):
  ``fit(user_items)`` on a users x items CSR matrix (read in place, not copied),
  ``user_factors`` / ``item_factors`` as NumPy arrays sharing the model's memory,
  ``recommend``, ``similar_items``, ``recalculate_user``.
* :class:`Model` -- a model directory written by ``hybridrec train`` (or :func:`train`):
  hybrid ``recommend`` (known user, unknown user, or a new user given items), ``similar``,
  ``search`` and ``embed``.
* :func:`evaluate` -- the ``hybridrec evaluate`` pipeline, metrics as a pandas DataFrame.

Every call that computes releases the GIL, so several Python threads may use one object at
once. Errors raise ``ValueError``, ``FileNotFoundError``, ``OSError``, ``KeyError`` (unknown
ids) or ``IndexError`` (indices out of range) with the message the CLI prints.
"""
from __future__ import annotations

import json
import os
from typing import Any, Iterable, Optional, Sequence, Tuple, Union

import numpy as np

from . import _hybridrec as _core

__all__ = ["Dataset", "ALS", "Model", "evaluate", "train", "synth", "__version__"]
__version__ = "0.1.0"


# ---------------------------------------------------------------------------------------------
# helpers

def _pandas():
    import pandas as pd  # imported on use: Dataset.load and ALS work without pandas

    return pd


def _id_list(values, what: str) -> list:
    """A pandas column or sequence of ids as a list of str (integers printed without '.0')."""
    arr = np.asarray(values)
    if arr.dtype.kind in "iu":
        return arr.astype(str).tolist()
    if arr.dtype.kind == "f":
        if np.isnan(arr).any():
            raise ValueError(f"{what}: row {int(np.argmax(np.isnan(arr)))} has no id (NaN)")
        if np.all(arr == np.round(arr)):
            return arr.astype(np.int64).astype(str).tolist()
        return arr.astype(str).tolist()
    out = []
    for r, v in enumerate(arr.tolist()):
        if v is None or (isinstance(v, float) and v != v):
            raise ValueError(f"{what}: row {r} has no id (None/NaN)")
        out.append(str(v))
    return out


def _as_csr(matrix, what: str):
    """A SciPy CSR matrix with dtypes the library reads in place.

    A CSR matrix (``csr_matrix`` or ``csr_array``) with int32 indices, int32/int64 indptr and
    float32/float64 data is returned as is. Anything else is converted, which copies: other
    sparse formats (``tocsr()``), int64 indices (to int32), other data dtypes (to float32).
    """
    import scipy.sparse as sp

    if not sp.issparse(matrix):
        raise TypeError(f"{what} must be a scipy.sparse CSR matrix (users x items), got {type(matrix).__name__}")
    if matrix.format != "csr":
        matrix = matrix.tocsr()
    indptr, indices, data = matrix.indptr, matrix.indices, matrix.data
    if indices.dtype != np.int32:
        if indices.size and indices.max() >= 2**31:
            raise ValueError(f"{what}: column indices beyond int32 are not supported")
        indices = indices.astype(np.int32)
    if indptr.dtype not in (np.int32, np.int64):
        indptr = indptr.astype(np.int64)
    if data.dtype not in (np.float32, np.float64):
        data = data.astype(np.float32)
    return (np.ascontiguousarray(indptr), np.ascontiguousarray(indices), np.ascontiguousarray(data),
            int(matrix.shape[0]), int(matrix.shape[1]))


# ---------------------------------------------------------------------------------------------
# Dataset

class Dataset:
    """Users, items with their text, and the observed interactions.

    Ids are strings (integer ids of a frame are printed as ``"1"``, ``"2"``, ...); users and items
    get dense internal indices (rows and columns of :meth:`to_csr`). Duplicate (user, item) pairs
    are summed, keeping the latest timestamp.
    """

    def __init__(self, core: "_core.Dataset"):
        self._core = core

    @classmethod
    def load(cls, path: Union[str, os.PathLike], format: str = "auto", skip_bad_rows: bool = False) -> "Dataset":
        """Reads a dataset directory: MovieLens 100K (``u.data`` + ``u.item``), MovieLens CSV
        (``ratings.csv`` + ``movies.csv`` [+ ``tags.csv``]) or the generic layout
        (``interactions.csv`` [+ ``items.csv``]); ``format`` names one instead of detecting it.

        Raises FileNotFoundError for a missing directory or layout, ValueError for a malformed row
        (naming file, line and field; ``skip_bad_rows=True`` skips and counts them instead).
        """
        return cls(_core.Dataset.load(os.fspath(path), format, skip_bad_rows))

    @classmethod
    def from_frame(cls, interactions, user: str = "user", item: str = "item", strength: Optional[str] = None,
                   timestamp: Optional[str] = None, items=None, item_id: Optional[str] = None,
                   title: str = "title", genres: Optional[str] = "genres", text: Optional[str] = None,
                   name: str = "frame") -> "Dataset":
        """Builds a dataset from a pandas DataFrame of interactions.

        ``user`` / ``item`` name the id columns, ``strength`` the strength column (every row 1
        when None; values must be finite and > 0), ``timestamp`` an optional column of seconds
        since the epoch (or datetimes). ``items`` is an optional DataFrame of item metadata: its
        ``item_id`` column (default: the same name as ``item``), ``title``, ``genres`` (a list or an
        ``"A|B"`` string per row; optional) and ``text`` (free text; optional). With ``items``,
        every interaction's item must be in it, and the catalogue keeps its order.
        """
        pd = _pandas()
        df = interactions
        for col in [user, item] + [c for c in (strength, timestamp) if c is not None]:
            if col not in df.columns:
                raise ValueError(f"interaction frame has no column '{col}' (columns: {list(df.columns)})")
        users = _id_list(df[user].to_numpy(), f"column '{user}'")
        its = _id_list(df[item].to_numpy(), f"column '{item}'")
        if strength is None:
            s = np.ones(len(df), dtype=np.float64)
        else:
            s = pd.to_numeric(df[strength], errors="coerce").to_numpy(dtype=np.float64)
        ts = None
        if timestamp is not None:
            col = df[timestamp]
            if pd.api.types.is_datetime64_any_dtype(col):
                ts = (col.astype("int64") // 10**9).to_numpy(dtype=np.int64)
            else:
                ts = pd.to_numeric(col, errors="raise").to_numpy(dtype=np.int64)
        cat_ids, titles, genre_lists, texts = [], [], [], []
        if items is not None:
            key = item_id or item
            if key not in items.columns:
                raise ValueError(f"item frame has no column '{key}' (columns: {list(items.columns)})")
            cat_ids = _id_list(items[key].to_numpy(), f"item frame column '{key}'")
            titles = ([("" if v is None else str(v)) for v in items[title].tolist()] if title in items.columns
                      else list(cat_ids))
            if genres is not None and genres in items.columns:
                for v in items[genres].tolist():
                    if isinstance(v, str):
                        genre_lists.append([g for g in v.split("|") if g])
                    elif v is None or (isinstance(v, float) and v != v):
                        genre_lists.append([])
                    else:
                        genre_lists.append([str(g) for g in v])
            else:
                genre_lists = [[] for _ in cat_ids]
            if text is not None:
                if text not in items.columns:
                    raise ValueError(f"item frame has no column '{text}'")
                texts = [("" if v is None or (isinstance(v, float) and v != v) else str(v)) for v in items[text].tolist()]
            else:
                texts = ["" for _ in cat_ids]
        return cls(_core.Dataset.from_columns(users, its, s, ts, cat_ids, titles, genre_lists, texts, name))

    name = property(lambda self: self._core.name, doc="Dataset name (the directory's name, or the frame's).")
    format = property(lambda self: self._core.format, doc="'ml-100k', 'movielens-csv', 'generic' or 'frame'.")
    num_users = property(lambda self: self._core.num_users)
    num_items = property(lambda self: self._core.num_items)
    num_interactions = property(lambda self: self._core.num_interactions, doc="Distinct (user, item) pairs.")
    has_timestamps = property(lambda self: self._core.has_timestamps)
    duplicates_merged = property(lambda self: self._core.duplicates_merged)
    user_ids = property(lambda self: self._core.user_ids, doc="External user id of each row index.")
    item_ids = property(lambda self: self._core.item_ids, doc="External item id of each column index.")

    def to_csr(self):
        """The users x items matrix of strengths (scipy.sparse.csr_matrix, float32), the input of
        :meth:`ALS.fit`; rows follow :attr:`user_ids`, columns :attr:`item_ids`."""
        import scipy.sparse as sp

        indptr, indices, data, shape = self._core.csr()
        return sp.csr_matrix((data, indices, indptr), shape=shape, copy=False)

    def to_frame(self):
        """Interactions as a DataFrame: user, item (external ids), strength, timestamp."""
        pd = _pandas()
        d = self._core.interactions()
        uids = np.asarray(self.user_ids, dtype=object)
        iids = np.asarray(self.item_ids, dtype=object)
        return pd.DataFrame({"user": uids[d["user"]], "item": iids[d["item"]], "strength": d["strength"],
                             "timestamp": d["timestamp"]})

    def items_frame(self):
        """Item metadata as a DataFrame: item, title, genres, tags, text (the content layer's input)."""
        return _pandas().DataFrame(self._core.items())

    def __len__(self) -> int:
        return self.num_interactions

    def __repr__(self) -> str:
        return (f"Dataset({self.name!r}, format={self.format!r}, users={self.num_users}, items={self.num_items}, "
                f"interactions={self.num_interactions})")


# ---------------------------------------------------------------------------------------------
# ALS

class ALS:
    """Implicit-feedback matrix factorisation trained with alternating least squares
    (Hu, Koren & Volinsky 2008), the collaborative layer of hybridrec.

    Parameters follow ``implicit.als.AlternatingLeastSquares`` where they mean the same thing;
    the defaults are hybridrec's (tuned on MovieLens 100K), not implicit's:

    factors : latent dimension (implicit: 100; here 64).
    regularization : lambda. Scaled per row as ``lambda * (n + 1) ** reg_exponent`` with n the
        row's interactions (frequency-scaled regularisation); ``reg_exponent=0`` gives
        implicit's constant lambda (implicit's default 0.01; here 3.5 with reg_exponent 0.5).
    alpha : confidence ``c = 1 + alpha * r`` (``confidence='log'``: ``1 + alpha * log(1 + r)``,
        ``'bm25'``: BM25-weighted).
    iterations : ALS sweeps. solver : ``'cg'`` (conjugate gradient, ``cg_steps`` steps per row,
        implicit's default) or ``'cholesky'`` (exact). threads : 0 = all cores; results do not
        depend on it. seed : initialisation seed (identical seeds give identical factors).
    """

    def __init__(self, factors: int = 64, regularization: float = 3.5, alpha: float = 1.0, iterations: int = 15,
                 solver: str = "cg", threads: int = 0, seed: int = 0, reg_exponent: float = 0.5,
                 cg_steps: int = 3, confidence: str = "linear"):
        self._core = _core.ALSCore(factors, regularization, alpha, iterations, solver, threads, seed, reg_exponent,
                                   cg_steps, confidence)
        self.factors = factors
        self._user_items = None
        self._last_fit_buffers = None

    def fit(self, user_items, show_progress: bool = False) -> "ALS":
        """Fits the model to ``user_items``, a users x items ``scipy.sparse`` CSR matrix of raw
        strengths (implicit 0.7's orientation).

        The matrix is read in place: its ``indptr`` (int32 or int64), ``indices`` (int32) and
        ``data`` (float32 or float64) buffers are passed to the C++ solver without a copy (only
        the item x user transpose the item half-steps need is built, as implicit does). Other
        inputs are converted first, which copies: a non-CSR sparse matrix, int64 indices, or an
        integer/boolean ``data``. Column indices must be sorted without duplicates within each
        row (``user_items.sum_duplicates()`` makes them so) and values finite and >= 0 (implicit's
        negative feedback is not supported). The GIL is released while fitting. The matrix is kept
        by reference (not copied) for ``recommend(..., user_items=None)``.
        """
        indptr, indices, data, rows, cols = _as_csr(user_items, "user_items")
        self._last_fit_buffers = self._core.fit(indptr, indices, data, rows, cols, bool(show_progress))
        self._user_items = (indptr, indices, data, rows, cols)
        return self

    @property
    def user_factors(self) -> np.ndarray:
        """(users, factors) float32, read-only, sharing memory with the fitted model (no copy;
        the array keeps that model alive after a later fit replaces it)."""
        return self._core.user_factors

    @property
    def item_factors(self) -> np.ndarray:
        """(items, factors) float32, read-only, sharing memory with the fitted model."""
        return self._core.item_factors

    def recommend(self, userid, user_items=None, N: int = 10, filter_already_liked_items: bool = True,
                  filter_items=None, recalculate_user: bool = False) -> Tuple[np.ndarray, np.ndarray]:
        """Top-N items for one user id (returns 1-D ``(ids, scores)``) or an array of user ids
        (returns 2-D arrays, one row per user; rows with fewer than N eligible items are padded
        with id -1 and score -inf).

        ``user_items``: as in implicit 0.7, a CSR matrix with one row per requested user (row j
        for ``userid[j]``), whose items are filtered out (``filter_already_liked_items``) and, with
        ``recalculate_user=True``, from which each user's factor is folded in again (the exact
        least-squares solve against the item factors). When None, the matrix given to ``fit`` is
        used for filtering. ``filter_items``: item ids never returned. The GIL is released.
        """
        scalar = np.ndim(userid) == 0
        ids = np.atleast_1d(np.asarray(userid, dtype=np.int64))
        if user_items is not None:
            indptr, indices, data, rows, cols = _as_csr(user_items, "user_items")
            if rows != len(ids):
                raise ValueError(f"user_items must have one row per requested user: {rows} rows for {len(ids)} "
                                 "user ids (pass user_items[userids])")
            aligned = True
        else:
            if recalculate_user:
                raise ValueError("recalculate_user=True needs user_items (the users' current items)")
            if self._user_items is None:
                indptr = indices = data = None
                rows = 0
            else:
                indptr, indices, data, rows, _ = self._user_items
            aligned = False
        fi = None if filter_items is None else np.asarray(filter_items, dtype=np.int32).ravel()
        out_ids, out_scores = self._core.recommend(ids, int(N), indptr, indices, data, rows, aligned,
                                                   bool(filter_already_liked_items), bool(recalculate_user), fi)
        if scalar:
            keep = out_ids[0] >= 0
            return out_ids[0][keep], out_scores[0][keep]
        return out_ids, out_scores

    def recalculate_user(self, userid, user_items) -> np.ndarray:
        """A user's factor folded in from ``user_items`` (a 1-row CSR matrix of the user's items),
        by the exact least-squares solve against the trained item factors. ``userid`` is only
        checked for consistency with implicit's signature."""
        indptr, indices, data, rows, _ = _as_csr(user_items, "user_items")
        if rows != 1:
            raise ValueError(f"user_items must have exactly one row (the user's items), got {rows}")
        b, e = int(indptr[0]), int(indptr[1])
        return self._core.recalculate_user(indices[b:e], data[b:e].astype(np.float32))

    def similar_items(self, itemid, N: int = 10) -> Tuple[np.ndarray, np.ndarray]:
        """The N items closest to ``itemid`` by the cosine of their factors, best first, as
        ``(ids, scores)``; for an array of item ids, 2-D arrays (padded with -1 / -inf). Unlike
        implicit, the item itself is not part of the answer."""
        if np.ndim(itemid) == 0:
            return self._core.similar_items(int(itemid), int(N))
        ids = np.atleast_1d(np.asarray(itemid, dtype=np.int64))
        out_ids = np.full((len(ids), N), -1, dtype=np.int32)
        out_scores = np.full((len(ids), N), -np.inf, dtype=np.float32)
        for r, i in enumerate(ids):
            a, s = self._core.similar_items(int(i), int(N))
            out_ids[r, :len(a)] = a
            out_scores[r, :len(s)] = s
        return out_ids, out_scores

    def __repr__(self) -> str:
        return f"ALS(factors={self.factors}, fitted={self._core.fitted})"


# ---------------------------------------------------------------------------------------------
# The trained hybrid model

class Model:
    """A trained hybrid model directory (``hybridrec train`` or :func:`train`), verified on load.

    Recommendations fuse the collaborative and content layers exactly as ``hybridrec recommend``
    and the HTTP service do, with the fusion options stored in the model.
    """

    def __init__(self, core: "_core.Model"):
        self._core = core

    @classmethod
    def load(cls, path: Union[str, os.PathLike]) -> "Model":
        """Opens a model directory, verifying every checksum. FileNotFoundError for a missing
        directory or file, ValueError for a damaged or incompatible model (naming the file)."""
        return cls(_core.Model.load(os.fspath(path)))

    def recommend(self, user: Optional[str] = None, items=None, k: int = 10, explain: bool = False,
                  exclude_seen: bool = True):
        """Top-k items for ``user`` (an id; an unknown id gets the cold-start path) or for a new
        user given ``items`` (ids, ``(id, strength)`` pairs or a dict id -> strength, oldest first).

        Returns a pandas DataFrame, best first: id, title, genres, score, collab, content (raw
        component scores, None when absent) and z_<signal> columns; with ``explain``,
        because_content and because_collab (lists of the history items behind each row).
        ``df.attrs`` holds path, weight, popularity_weight, signals, history_size (and user,
        known_user). Same answer as ``hybridrec recommend --json``.
        """
        pairs = None
        if items is not None:
            if isinstance(items, dict):
                pairs = [(str(i), float(s)) for i, s in items.items()]
            else:
                pairs = [(str(x[0]), float(x[1])) if isinstance(x, (tuple, list)) else (str(x), 1.0) for x in items]
        r = self._core.recommend(None if user is None else str(user), pairs, int(k), bool(explain),
                                 bool(exclude_seen))
        df = _pandas().DataFrame(r.pop("items"))
        if df.empty:
            df = _pandas().DataFrame(columns=["id", "title", "genres", "score", "collab", "content"])
        df.attrs.update(r)
        return df

    def recommend_batch(self, users: Iterable, k: int = 10, threads: int = 0):
        """Top-k for many user ids at once (seen items excluded, no explanations) through the
        ranker's batch path, ``threads`` threads (0: all cores), GIL released.
        Returns ``(items, scores)``: (users, k) arrays of item ids (object) and float32 scores."""
        users = [str(u) for u in users]
        idx, scores = self._core.recommend_batch(users, int(k), int(threads))
        ids = np.asarray(self.item_ids + [None], dtype=object)
        return ids[idx], scores

    def similar(self, item: str, k: int = 10, mode: str = "hybrid"):
        """Items similar to ``item``: mode 'content' (embedding cosine), 'collab' (factor cosine)
        or 'hybrid'. DataFrame: id, title, score, content, collab."""
        return _pandas().DataFrame(self._core.similar(str(item), int(k), mode),
                                   columns=["id", "title", "score", "content", "collab"])

    def search(self, text: str, k: int = 10):
        """Semantic search of the catalogue: DataFrame id, title, score (cosine), best first;
        empty when no word of the query is known to the encoder (LSA)."""
        return _pandas().DataFrame(self._core.search(str(text), int(k)), columns=["id", "title", "score"])

    def embed(self, texts: Union[str, Sequence[str]]) -> np.ndarray:
        """Embeddings of free texts with the model's encoder: (n, dim) float32, L2-normalised."""
        if isinstance(texts, str):
            texts = [texts]
        return self._core.embed(list(texts))

    user_ids = property(lambda self: self._core.user_ids)
    item_ids = property(lambda self: self._core.item_ids)
    item_titles = property(lambda self: self._core.item_titles)
    user_factors = property(lambda self: self._core.user_factors,
                            doc="(users, k) float32, read-only, sharing the loaded model's memory.")
    item_factors = property(lambda self: self._core.item_factors,
                            doc="(items, k) float32, read-only, sharing the loaded model's memory.")
    item_embeddings = property(lambda self: self._core.item_embeddings,
                               doc="(items, dim) float32 content embeddings (None without content layer).")

    @property
    def manifest(self) -> dict:
        """The model's manifest.json (parameters, dataset facts, tuning, timings)."""
        return json.loads(self._core.manifest)

    def history(self):
        """The training interactions as a users x items CSR matrix sharing the model's memory."""
        import scipy.sparse as sp

        indptr, indices, data, shape = self._core.history()
        return sp.csr_matrix((data, indices, indptr), shape=shape, copy=False)

    def __repr__(self) -> str:
        return f"Model(users={len(self.user_ids)}, items={len(self.item_ids)})"


# ---------------------------------------------------------------------------------------------
# functions

def evaluate(dataset: Union[Dataset, str, os.PathLike], protocol: str = "random", seeds: Sequence[int] = (0,),
             k: Sequence[int] = (10, 20), tune: bool = False, encoder: str = "auto", als: Optional[ALS] = None,
             test_fraction: float = 0.2, reveal: int = 5, quiet: bool = True):
    """The ``hybridrec evaluate`` pipeline: for each seed, split ``dataset`` by ``protocol``
    ('random', 'global-random', 'temporal', 'cold-items', 'cold-users'), optionally tune ALS and
    the fusion on a validation split carved from train (``tune``), fit popularity, content,
    collab and hybrid on train and score them on test.

    Returns a DataFrame indexed by (seed, model) with one column per metric and cutoff
    (``precision@10``, ``recall@10``, ``ndcg@10``, ``map@10``, ``hit_rate@10``, ``coverage@10``,
    ...); ``df.attrs['runs']`` holds each run's full ``evaluate --json`` object (paired
    differences, parameters, timings). ``als`` gives the ALS options (default: the CLI's).
    """
    pd = _pandas()
    ds = dataset if isinstance(dataset, Dataset) else Dataset.load(dataset)
    seeds = [int(s) for s in (seeds if isinstance(seeds, (list, tuple, range, np.ndarray)) else [seeds])]
    runs = json.loads(_core.evaluate(ds._core, protocol, seeds, [int(x) for x in k], bool(tune), encoder,
                                     None if als is None else als._core, float(test_fraction), int(reveal),
                                     bool(quiet)))
    rows = []
    for run in runs:
        for name, metrics in run["models"].items():
            row = {"seed": run["seed"], "model": name}
            row.update({m: v for m, v in metrics.items() if isinstance(v, (int, float))})
            rows.append(row)
    df = pd.DataFrame(rows).set_index(["seed", "model"])
    df.attrs["runs"] = runs
    return df


def synth(out: Union[str, os.PathLike], users: int, items: int, nnz: int, zipf: float = 0.9, seed: int = 0,
          topics: int = 32) -> None:
    """Writes a synthetic generic-layout dataset (power-law item popularity; ``topics`` topics
    that drive item text, genres and tags and who interacts with what, 0 for none) into
    ``out``, like ``hybridrec synth``."""
    _core.synth(int(users), int(items), int(nnz), float(zipf), int(seed), int(topics), os.fspath(out))


def train(dataset: Union[Dataset, str, os.PathLike], out: Union[str, os.PathLike], als: Optional[ALS] = None,
          encoder: str = "auto", index: str = "auto", content: bool = True, tune: bool = False,
          tune_protocol: str = "random", tune_seed: int = 0, cold_guard: float = 0.95,
          quiet: bool = True) -> "Model":
    """``hybridrec train``: fits popularity and ALS (options of ``als``, default the CLI's) on all
    of ``dataset``, embeds and indexes the catalogue (``encoder`` 'auto' | 'minilm' | 'lsa',
    ``index`` 'auto' | 'flat' | 'hnsw'; ``content=False`` skips the content layer), optionally
    tuning first (``tune``, on a ``tune_protocol`` validation split), writes the model directory
    ``out`` atomically and returns it opened as a :class:`Model`. The GIL is released while it runs.
    """
    ds = dataset if isinstance(dataset, Dataset) else Dataset.load(dataset)
    _core.train(ds._core, os.fspath(out), None if als is None else als._core, encoder, index, bool(content),
                bool(tune), tune_protocol, int(tune_seed), float(cold_guard), bool(quiet))
    return Model.load(out)
