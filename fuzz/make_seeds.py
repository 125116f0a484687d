#!/usr/bin/python3
"""Writes the seed corpora fuzz/corpus/<target>/ (small, project-made; no MovieLens data).

Run from anywhere: /usr/bin/python3 fuzz/make_seeds.py (needs numpy). Seeds are derived from the hand-made test
fixtures in tests/fixtures and from tiny files built here. Re-running overwrites the seeds it
writes and leaves other corpus files (e.g. minimised crash reproducers) alone.
"""
import json
import pathlib
import struct

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parent.parent
FIX = ROOT / "tests" / "fixtures"
OUT = ROOT / "fuzz" / "corpus"
SEP = b"\n--8<--\n"  # fuzz::kPartSeparator


def put(target, name, data):
    d = OUT / target
    d.mkdir(parents=True, exist_ok=True)
    (d / name).write_bytes(data if isinstance(data, bytes) else data.encode())


def rd(*p):
    return (FIX / "data").joinpath(*p).read_bytes()


# --- loader: selector byte + files -------------------------------------------------------
ml = [rd("ml-100k-mini", f) for f in ("u.data", "u.item", "u.genre")]
mc = [rd("movielens-csv-mini", f) for f in ("ratings.csv", "movies.csv", "tags.csv")]
ge = [rd("generic-mini", f) for f in ("interactions.csv", "items.csv")]
put("loader", "ml100k", b"0" + SEP.join(ml))
put("loader", "ml100k_skip_auto", bytes([0xC0]) + SEP.join(ml[:2]))
put("loader", "movielens_csv", b"1" + SEP.join(mc))
put("loader", "movielens_csv_skip", bytes([0x41]) + SEP.join(mc[:2]))
put("loader", "generic", b"2" + SEP.join(ge))
put("loader", "generic_no_items", bytes([0x42]) + ge[0])
put("loader", "generic_bad_rows", b"r" + b"user,item,strength,timestamp\r\nu1,i1,2.5,10\r\n"
    b"u2,i1,-1,11\r\n\"u3,x\",i2,nan,x\r\nu1,i1,1,12\r\n\xef\xbb\xbfu4,i9,1e39,1\r\n" + SEP +
    b"\xef\xbb\xbfitem,title,description\r\ni1,\"A \"\"quoted\"\" title\",text\r\ni2,B,\xc3\xa9t\xc3\xa9\r\n")

# --- tokenizer --------------------------------------------------------------------------
put("tokenizer", "ascii", "Hello, world! The quick brown fox's unaffable running-shoes cost $3.50.")
put("tokenizer", "accents_cjk", "Café déjà vu — Ünïcödé 東京タワー 한국어 Ελληνικά naïve résumé")
put("tokenizer", "invalid_utf8", b"ok \xff\xfe bad \xc3 half \xe2\x82 \xed\xa0\x80 surrogate\x00nul\tctrl\x07")
put("tokenizer", "long_word", "a" * 150 + " " + "supercalifragilisticexpialidocious" * 3)
put("tokenizer", "punct", "[CLS] [SEP] [UNK] ##ing ... ?!,;:()[]{}<>@#%^&*_+=~`|\\/\"'")
put("tokenizer", "vocab_mode", "VOCAB\n[PAD]\n[UNK]\n[CLS]\n[SEP]\nhello\n##ing\nw\n##orld\n,\r\n!\n")

# --- npy ---------------------------------------------------------------------------------
def npy(arr, version=1):
    import io
    b = io.BytesIO()
    np.lib.format.write_array(b, arr, version=(version, 0))
    return b.getvalue()

put("npy", "f32_2d", npy(np.arange(6, dtype="<f4").reshape(2, 3)))
put("npy", "f64_1d", npy(np.array([1.5, -2.0], dtype="<f8")))
put("npy", "i32_1d", npy(np.array([1, 2, 3], dtype="<i4")))
put("npy", "i64_1d_v2", npy(np.array([7, 8], dtype="<i8"), version=2))
put("npy", "u32_empty", npy(np.zeros((0, 4), dtype="<u4")))
put("npy", "fortran", npy(np.asfortranarray(np.ones((2, 2), dtype="<f4"))))
put("npy", "big_endian", npy(np.ones(2, dtype=">f4")))
put("npy", "three_d", npy(np.ones((1, 1, 2), dtype="<f4")))

# --- bert config ---------------------------------------------------------------------------
put("bert_config", "tiny", (FIX / "minilm-tiny" / "config.json").read_bytes())
put("bert_config", "minilm", json.dumps({
    "architectures": ["BertModel"], "hidden_act": "gelu", "hidden_size": 384,
    "intermediate_size": 1536, "layer_norm_eps": 1e-12, "max_position_embeddings": 512,
    "model_type": "bert", "num_attention_heads": 12, "num_hidden_layers": 6,
    "type_vocab_size": 2, "vocab_size": 30522}))
put("bert_config", "bad_heads", '{"hidden_size": 10, "num_attention_heads": 3, "hidden_act": "relu"}')


# --- safetensors: the tiny BERT of fuzz_safetensors.cc (H=4, L=1, A=2, I=8, P=8, V=16, T=2) ---
def safetensors(tensors, dtype="F32", extra_meta=True):
    header, blobs, off = {}, [], 0
    if extra_meta:
        header["__metadata__"] = {"format": "pt"}
    for name, arr in tensors:
        if dtype == "F32":
            raw = arr.astype("<f4").tobytes()
        elif dtype == "F16":
            raw = arr.astype("<f2").tobytes()
        else:  # BF16: top half of the f32 bits
            raw = (arr.astype("<f4").view("<u4") >> 16).astype("<u2").tobytes()
        header[name] = {"dtype": dtype, "shape": list(arr.shape), "data_offsets": [off, off + len(raw)]}
        blobs.append(raw)
        off += len(raw)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    return struct.pack("<Q", len(h)) + h + b"".join(blobs)


rng = np.random.default_rng(0)
H, I, P, V, T = 4, 8, 8, 16, 2
def r(*s):
    return (rng.standard_normal(s) * 0.1).astype(np.float32)
bert = [("embeddings.word_embeddings.weight", r(V, H)), ("embeddings.position_embeddings.weight", r(P, H)),
        ("embeddings.token_type_embeddings.weight", r(T, H)), ("embeddings.LayerNorm.weight", np.ones(H, np.float32)),
        ("embeddings.LayerNorm.bias", np.zeros(H, np.float32))]
pre = "encoder.layer.0."
for n in ("query", "key", "value"):
    bert += [(pre + f"attention.self.{n}.weight", r(H, H)), (pre + f"attention.self.{n}.bias", r(H))]
bert += [(pre + "attention.output.dense.weight", r(H, H)), (pre + "attention.output.dense.bias", r(H)),
         (pre + "attention.output.LayerNorm.weight", np.ones(H, np.float32)),
         (pre + "attention.output.LayerNorm.bias", np.zeros(H, np.float32)),
         (pre + "intermediate.dense.weight", r(I, H)), (pre + "intermediate.dense.bias", r(I)),
         (pre + "output.dense.weight", r(H, I)), (pre + "output.dense.bias", r(H)),
         (pre + "output.LayerNorm.weight", np.ones(H, np.float32)),
         (pre + "output.LayerNorm.bias", np.zeros(H, np.float32))]
put("safetensors", "tiny_bert_f32", safetensors(bert))
put("safetensors", "tiny_bert_f16_prefixed", safetensors([("bert." + n, a) for n, a in bert], "F16", False))
put("safetensors", "tiny_bert_bf16", safetensors(bert, "BF16"))
ids = struct.pack("<2q", 0, 1)
h = json.dumps({"position_ids": {"dtype": "I64", "shape": [1, 2], "data_offsets": [0, 16]}}).encode()
put("safetensors", "i64_only", struct.pack("<Q", len(h)) + h + ids)

# --- manifest (selector byte: even = raw manifest, odd = files table re-signed) -----------------
manifest = {
    "dataset": {"fingerprint": "0" * 64, "format": "generic", "interactions": 20, "items": 8, "name": "fuzz",
                "train_interactions": 20, "users": 6},
    "encoder": {"dimension": 4, "index": "flat", "name": "lsa"},
    "format": "hybridrec-model", "format_version": 1, "created": "2026-11-29T08:00:00Z",
    "hybridrec_version": "0.1.0",
    "params": {"als": {"factors": 3, "iterations": 2, "threads": 1},
               "ranker": {"candidates": 200, "T": 1.0, "w_max": 0.5, "exclude_seen": True}},
    "files": {"users.json": {"sha256": "0" * 64, "bytes": 10}},
}
put("manifest", "resigned", b"\x01" + json.dumps(manifest, indent=1).encode())
no_enc = dict(manifest)
del no_enc["encoder"]
put("manifest", "resigned_no_encoder", b"\x01" + json.dumps(no_enc).encode())
put("manifest", "raw_bad_checksum", b"\x00" + json.dumps(manifest).encode())
put("manifest", "raw_future", b"\x00" + json.dumps({"format": "hybridrec-model", "format_version": 99, "files": {}}).encode())
put("manifest", "raw_traversal", b"\x00" + json.dumps({"format": "hybridrec-model", "format_version": 1,
                                                     "files": {"../x": {"sha256": "", "bytes": 0}}}).encode())
# --- experiments (selector byte: even = experiment file, odd = exposure/event records) ----------
put("experiments", "file_ab", b"\x00" + json.dumps({
    "name": "pop-vs-hybrid", "salt": "s1", "ctr_k": 10, "attribution_window_s": 3600, "conversion_min_strength": 4,
    "arms": [{"name": "A", "share": 0.5, "ranker": {"popularity_mix": 1, "popularity_T": 100000}},
             {"name": "B", "share": 0.5, "rules": {"diversity": 0.2, "exclude": {"genre": ["Horror"]}}}]}).encode())
put("experiments", "file_three_arms", b"\x00" + json.dumps({
    "name": "x", "salt": "t", "arms": [{"name": "a", "share": 0.2}, {"name": "b", "share": 0.3},
                                      {"name": "c", "share": 0.5}]}).encode())
put("experiments", "file_bad_shares", b"\x00" + b'{"name": "x", "salt": "s", "arms": [{"name": "A", "share": 0.5}, {"name": "A", "share": 0.6}]}')
put("experiments", "records", b"\x01" + b"x r1 u1 A 100 1 2 3\nx r2 u2 B 100 4 5\nx r3 u2 B 200 6\n"
    b"e u1 2 1 150\ne u1 2 5 160\ne u2 6 5 250 r3\ne u2 5 4 120\n")
print("seeds written under", OUT)
