"""The hybrid model and datasets from Python, against the CLI on ML-100K."""
import threading

import numpy as np
import pandas as pd
import pytest

import hybridrec
from conftest import cli_json, run_cli


@pytest.fixture(scope="module")
def model(model_dir):
    return hybridrec.Model.load(model_dir)


@pytest.fixture(scope="module")
def dataset(ml100k):
    return hybridrec.Dataset.load(ml100k)


@pytest.mark.parametrize("args", [("--user", "1"), ("--user", "405"), ("--user", "no-such-user"),
                                  ("--items", "1,71:5,95")])
def test_recommend_same_lists_as_cli(cli, model_dir, model, args):
    want = cli_json(cli, "recommend", "--model", model_dir, *args, "-k", "10", "--explain")
    if args[0] == "--user":
        got = model.recommend(user=args[1], k=10, explain=True)
    else:
        got = model.recommend(items=[("1", 1.0), ("71", 5.0), ("95", 1.0)], k=10, explain=True)
    assert list(got["id"]) == [i["id"] for i in want["items"]]
    np.testing.assert_allclose(got["score"], [i["score"] for i in want["items"]], rtol=1e-6)
    assert got.attrs["path"] == want["path"]
    assert got.attrs["weight"] == pytest.approx(want["weight"])
    assert got.attrs["history_size"] == want["history_size"]
    assert [[c["id"] for c in r] for r in got["because_collab"]] == \
        [[c["id"] for c in i["because"]["collab"]] for i in want["items"]]


@pytest.mark.parametrize("mode", ["content", "collab", "hybrid"])
def test_similar_same_as_cli(cli, model_dir, model, mode):
    want = cli_json(cli, "similar", "--model", model_dir, "--item", "1", "--mode", mode)
    got = model.similar("1", mode=mode)
    assert list(got["id"]) == [i["id"] for i in want["items"]]
    np.testing.assert_allclose(got["score"], [i["score"] for i in want["items"]], rtol=1e-6)


def test_search_same_as_cli(cli, model_dir, model):
    want = cli_json(cli, "search", "--model", model_dir, "--text", "space war robots")
    got = model.search("space war robots")
    assert list(got["id"]) == [i["id"] for i in want["items"]]
    emb = model.embed(["space war robots", "romantic comedy"])
    assert emb.shape == (2, model.item_embeddings.shape[1]) and emb.dtype == np.float32


def test_batch_recommend_equals_single_requests(model):
    users = model.user_ids[:50] + ["not-a-user"]
    items, scores = model.recommend_batch(users, k=10, threads=2)
    assert items.shape == (51, 10)
    for r, u in enumerate(users[:5] + users[-1:]):
        row = r if u != "not-a-user" else 50
        one = model.recommend(user=u, k=10)
        assert list(items[row]) == list(one["id"])
        np.testing.assert_allclose(scores[row], one["score"], rtol=1e-5)


def test_model_arrays_share_memory_and_match_the_python_fit(model, dataset):
    uf = model.user_factors
    assert not uf.flags.owndata and not uf.flags.writeable
    assert uf.ctypes.data == model.user_factors.ctypes.data
    assert model.user_ids == dataset.user_ids and model.item_ids == dataset.item_ids
    # The CLI trained with the ALS defaults; the same fit from Python gives identical factors.
    als = hybridrec.ALS().fit(dataset.to_csr())
    np.testing.assert_array_equal(als.user_factors, uf)
    np.testing.assert_array_equal(als.item_factors, model.item_factors)
    h = model.history()
    assert h.shape == (dataset.num_users, dataset.num_items) and h.nnz == dataset.num_interactions
    assert model.manifest["format"] == "hybridrec-model"


def test_errors_carry_the_cli_messages(cli, tmp_path, model):
    missing = tmp_path / "nope"
    p = run_cli(cli, "recommend", "--model", missing, "--user", "1", check=False)
    assert p.returncode == 1
    with pytest.raises(FileNotFoundError) as e:
        hybridrec.Model.load(missing)
    assert "error: " + str(e.value) == p.stderr.strip()
    p = run_cli(cli, "train", "--data", tmp_path, "--out", tmp_path / "m", check=False)
    with pytest.raises(FileNotFoundError) as e:
        hybridrec.Dataset.load(tmp_path)
    assert "error: " + str(e.value) == p.stderr.strip()
    with pytest.raises(KeyError, match="unknown item id 'zzz'"):
        model.recommend(items=["zzz"])
    with pytest.raises(KeyError, match="unknown item id 'zzz'"):
        model.similar("zzz")
    with pytest.raises(ValueError, match="exactly one of"):
        model.recommend()
    with pytest.raises(ValueError, match="k must be"):
        model.recommend(user="1", k=0)
    with pytest.raises(ValueError, match="mode must be"):
        model.similar("1", mode="nearest")
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "interactions.csv").write_text("user,item,strength\nu1,i1,abc\n")
    with pytest.raises(ValueError, match=r"interactions.csv:2: field 'strength'"):
        hybridrec.Dataset.load(bad)


def test_threads_give_the_serial_answers(model):
    users = model.user_ids[:40]
    want = [list(model.recommend(user=u, k=10)["id"]) for u in users]
    want_batch = model.recommend_batch(users, k=10, threads=1)[0]
    errors, got = [], []

    def work():
        try:
            got.append([list(model.recommend(user=u, k=10)["id"]) for u in users])
            np.testing.assert_array_equal(model.recommend_batch(users, k=10, threads=1)[0], want_batch)
        except Exception as e:  # noqa: BLE001
            errors.append(e)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert all(g == want for g in got)


def test_dataset_from_frame_equals_load(dataset):
    frame = dataset.to_frame()
    items = dataset.items_frame()
    assert list(frame.columns) == ["user", "item", "strength", "timestamp"]
    again = hybridrec.Dataset.from_frame(frame, strength="strength", timestamp="timestamp", items=items)
    assert again.user_ids == dataset.user_ids and again.item_ids == dataset.item_ids
    a, b = dataset.to_csr(), again.to_csr()
    assert (a != b).nnz == 0
    # integer ids, duplicates summed, no item frame
    df = pd.DataFrame({"u": [1, 1, 2, 2], "i": [10, 10, 11, 10], "r": [1.0, 2.0, 3.0, 4.0]})
    d = hybridrec.Dataset.from_frame(df, user="u", item="i", strength="r")
    assert d.user_ids == ["1", "2"] and d.item_ids == ["10", "11"] and d.duplicates_merged == 1
    assert d.to_csr().toarray().tolist() == [[3.0, 0.0], [4.0, 3.0]]
    with pytest.raises(ValueError, match="row 1: strength -1"):
        hybridrec.Dataset.from_frame(pd.DataFrame({"user": ["a", "b"], "item": ["x", "y"], "s": [1, -1]}),
                                     strength="s")
    with pytest.raises(ValueError, match="no column 'rating'"):
        hybridrec.Dataset.from_frame(df, user="u", item="i", strength="rating")


def test_evaluate_same_metrics_as_cli(cli, ml100k, dataset):
    want = cli_json(cli, "evaluate", "--data", ml100k, "--protocol", "random", "--seed", "0", "--encoder", "lsa",
                    "--quiet")
    got = hybridrec.evaluate(dataset, protocol="random", seeds=[0], encoder="lsa")
    assert set(got.index.get_level_values("model")) == set(want["models"])
    for name, metrics in want["models"].items():
        assert got.loc[(0, name), "ndcg@10"] == pytest.approx(metrics["ndcg@10"], rel=1e-9)
        assert got.loc[(0, name), "recall@20"] == pytest.approx(metrics["recall@20"], rel=1e-9)


def test_train_from_python_equals_cli_model(tmp_path, dataset, model):
    m = hybridrec.train(dataset, tmp_path / "py-model", encoder="lsa")
    np.testing.assert_array_equal(m.user_factors, model.user_factors)
    np.testing.assert_array_equal(m.item_embeddings, model.item_embeddings)
    assert list(m.recommend(user="1")["id"]) == list(model.recommend(user="1")["id"])
