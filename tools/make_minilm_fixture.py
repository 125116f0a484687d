#!/usr/bin/python3
"""Regenerates tests/fixtures/minilm-tiny: a tiny randomly initialised BERT (same architecture
as all-MiniLM-L6-v2: post-LayerNorm encoder, erf-GELU, mean pooling, L2 normalisation) and the
embeddings PyTorch computes for a few sentences, used by the C++ parity test
(src/content/minilm/minilm_parity_test.cc).

Independent of the C++ code: the model is a small PyTorch module written here (no
`transformers`), the .safetensors files are written by hand (8-byte little-endian header
length + JSON header + raw data), and token ids come from a simple Python BERT tokenizer
that is enough for the ASCII sentences below.

Usage:  /usr/bin/python3 tools/make_minilm_fixture.py [--out tests/fixtures/minilm-tiny]
Needs Debian's python3-torch and numpy only. Deterministic (fixed seed).
"""
import argparse
import json
import math
import os
import struct

import numpy as np
import torch

SEED = 1234
CONFIG = {
    "architectures": ["BertModel"],
    "hidden_act": "gelu",
    "hidden_size": 32,
    "intermediate_size": 64,
    "layer_norm_eps": 1e-12,
    "max_position_embeddings": 64,
    "model_type": "bert",
    "num_attention_heads": 4,
    "num_hidden_layers": 2,
    "pad_token_id": 0,
    "position_embedding_type": "absolute",
    "type_vocab_size": 2,
    "vocab_size": None,  # filled from the vocabulary
}

WORDS = """the a an of and to in is it for on with as at by from this that movie film story
toy space opera robots robot adventure animated children comedy drama war love life man
woman city night day world star stars return empire new old good bad great little big
house home family friend friends king queen dark light blue red green time game play
music dance school boy girl dog cat car road sea ship island king's don t s""".split()
PIECES = ["un", "##believ", "##able", "##s", "##ing", "##ed", "##er", "play", "##ful", "sci", "fi",
          "1995", "19", "##95", "##9", "2", "##0"]
PUNCT = list("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")

SENTENCES = [
    "",
    "Toy Story",
    "A space opera with robots!",
    "The unbelievable return of the empire (1995)",
    "Don't play with the playful dog, said the old man.",
    "Sci-Fi: stars, ships and the dark sea; a great adventure for children and family.",
    "zzyzx qwerty",  # unknown words -> [UNK]
    " ".join(["the good little robot finds a new home in the big city at night"] * 3),
]


def build_vocab():
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    for t in PUNCT + PIECES + WORDS:
        if t not in vocab:
            vocab.append(t)
    return vocab


def basic_tokenize(text):
    # Enough of BERT's basic tokenizer for ASCII text: lower-case, split on whitespace and
    # on ASCII punctuation.
    out = []
    for word in text.lower().split():
        cur = ""
        for ch in word:
            if ch in PUNCT:
                if cur:
                    out.append(cur)
                out.append(ch)
                cur = ""
            else:
                cur += ch
        if cur:
            out.append(cur)
    return out


def wordpiece(word, ids):
    if len(word) > 100:
        return [ids["[UNK]"]]
    pieces, start = [], 0
    while start < len(word):
        end, found = len(word), None
        while end > start:
            sub = ("##" if start > 0 else "") + word[start:end]
            if sub in ids:
                found = ids[sub]
                break
            end -= 1
        if found is None:
            return [ids["[UNK]"]]
        pieces.append(found)
        start = end
    return pieces


def tokenize(text, ids, max_len):
    toks = [ids["[CLS]"]]
    for w in basic_tokenize(text):
        toks += wordpiece(w, ids)
    toks = toks[: max_len - 1]
    return toks + [ids["[SEP]"]]


class Bert(torch.nn.Module):
    """The BERT encoder of all-MiniLM-L6-v2, written from the architecture description."""

    def __init__(self, c):
        super().__init__()
        H, I = c["hidden_size"], c["intermediate_size"]
        self.c = c
        self.word = torch.nn.Embedding(c["vocab_size"], H)
        self.pos = torch.nn.Embedding(c["max_position_embeddings"], H)
        self.tok_type = torch.nn.Embedding(c["type_vocab_size"], H)
        self.emb_ln = torch.nn.LayerNorm(H, eps=c["layer_norm_eps"])
        self.layers = torch.nn.ModuleList()
        for _ in range(c["num_hidden_layers"]):
            m = torch.nn.Module()
            m.q, m.k, m.v = (torch.nn.Linear(H, H) for _ in range(3))
            m.o = torch.nn.Linear(H, H)
            m.ln1 = torch.nn.LayerNorm(H, eps=c["layer_norm_eps"])
            m.i = torch.nn.Linear(H, I)
            m.out = torch.nn.Linear(I, H)
            m.ln2 = torch.nn.LayerNorm(H, eps=c["layer_norm_eps"])
            self.layers.append(m)

    def forward(self, ids, mask):
        B, L = ids.shape
        H, NH = self.c["hidden_size"], self.c["num_attention_heads"]
        dh = H // NH
        pos = torch.arange(L).unsqueeze(0).expand(B, L)
        x = self.word(ids) + self.pos(pos) + self.tok_type(torch.zeros_like(ids))
        x = self.emb_ln(x)
        # Additive mask as Hugging Face builds it: 0 for real keys, dtype minimum for padding.
        add = (1.0 - mask[:, None, None, :].to(x.dtype)) * torch.finfo(x.dtype).min
        for m in self.layers:
            def heads(t):
                return t.view(B, L, NH, dh).transpose(1, 2)
            q, k, v = heads(m.q(x)), heads(m.k(x)), heads(m.v(x))
            s = q @ k.transpose(-1, -2) / math.sqrt(dh) + add
            p = torch.softmax(s, dim=-1)
            ctx = (p @ v).transpose(1, 2).reshape(B, L, H)
            x = m.ln1(m.o(ctx) + x)
            f = m.out(torch.nn.functional.gelu(m.i(x)))  # erf form (approximate='none')
            x = m.ln2(f + x)
        mf = mask.unsqueeze(-1).to(x.dtype)
        pooled = (x * mf).sum(1) / mf.sum(1).clamp(min=1e-9)
        return torch.nn.functional.normalize(pooled, p=2, dim=1)

    def hf_state(self):
        """Tensors under their Hugging Face BertModel names."""
        d = {
            "embeddings.word_embeddings.weight": self.word.weight,
            "embeddings.position_embeddings.weight": self.pos.weight,
            "embeddings.token_type_embeddings.weight": self.tok_type.weight,
            "embeddings.LayerNorm.weight": self.emb_ln.weight,
            "embeddings.LayerNorm.bias": self.emb_ln.bias,
        }
        for i, m in enumerate(self.layers):
            p = f"encoder.layer.{i}."
            for name, mod in [("attention.self.query", m.q), ("attention.self.key", m.k),
                              ("attention.self.value", m.v), ("attention.output.dense", m.o),
                              ("attention.output.LayerNorm", m.ln1), ("intermediate.dense", m.i),
                              ("output.dense", m.out), ("output.LayerNorm", m.ln2)]:
                d[p + name + ".weight"] = mod.weight
                d[p + name + ".bias"] = mod.bias
        return {k: v.detach().clone() for k, v in d.items()}


def write_safetensors(path, tensors):
    """tensors: name -> (dtype string, numpy array). Writes the format by hand."""
    header, blobs, offset = {}, [], 0
    for name in sorted(tensors):
        dtype, arr = tensors[name]
        raw = np.ascontiguousarray(arr).tobytes()
        header[name] = {"dtype": dtype, "shape": list(arr.shape), "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    header["__metadata__"] = {"format": "pt"}
    hj = json.dumps(header, separators=(",", ":")).encode()
    hj += b" " * ((8 - len(hj) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(hj)))
        f.write(hj)
        for b in blobs:
            f.write(b)


def bf16_bits(a):
    """float32 -> bfloat16 bit patterns (round to nearest even) as uint16."""
    u = a.astype(np.float32).view(np.uint32).astype(np.uint64)
    u = (u + 0x7FFF + ((u >> 16) & 1)) >> 16
    return u.astype(np.uint16)


def embed(model, seqs):
    L = max(len(s) for s in seqs)
    ids = torch.zeros(len(seqs), L, dtype=torch.long)
    mask = torch.zeros(len(seqs), L, dtype=torch.long)
    for i, s in enumerate(seqs):
        ids[i, : len(s)] = torch.tensor(s)
        mask[i, : len(s)] = 1
    with torch.no_grad():
        return model(ids, mask)


def write_folder(path, config, vocab):
    os.makedirs(path, exist_ok=True)
    with open(os.path.join(path, "config.json"), "w") as f:
        json.dump(config, f, indent=2, sort_keys=True)
        f.write("\n")
    with open(os.path.join(path, "vocab.txt"), "w") as f:
        f.write("\n".join(vocab) + "\n")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "..", "tests", "fixtures", "minilm-tiny"))
    out = ap.parse_args().out

    torch.manual_seed(SEED)
    vocab = build_vocab()
    ids = {t: i for i, t in enumerate(vocab)}
    config = dict(CONFIG, vocab_size=len(vocab))
    model = Bert(config)
    # Larger-than-usual random weights and non-trivial LayerNorm parameters so that every
    # tensor visibly affects the output (a near-identity model would hide mistakes).
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "ln" in name and name.endswith("weight"):
                p.copy_(1.0 + 0.3 * torch.randn_like(p))
            else:
                p.copy_(0.3 * torch.randn_like(p))
    model.eval()

    seqs = [tokenize(s, ids, config["max_position_embeddings"]) for s in SENTENCES]
    emb32 = embed(model, seqs)
    # The same model in float64, to show the float32 reference is itself accurate.
    emb64 = embed(model.double(), seqs).float()
    model.float()
    print("max |f32 - f64| reference difference: %.3g" % (emb32 - emb64).abs().max().item())

    state = model.hf_state()
    # F32 file: bare names, plus tensors the encoder must ignore (pooler, int64 position_ids).
    H = config["hidden_size"]
    f32 = {k: ("F32", v.numpy().astype(np.float32)) for k, v in state.items()}
    f32["pooler.dense.weight"] = ("F32", (0.3 * torch.randn(H, H)).numpy())
    f32["pooler.dense.bias"] = ("F32", (0.3 * torch.randn(H)).numpy())
    f32["embeddings.position_ids"] = ("I64", np.arange(config["max_position_embeddings"], dtype=np.int64)[None, :])
    write_folder(out, config, vocab)
    write_safetensors(os.path.join(out, "model.safetensors"), f32)

    # F16 and BF16 files: "bert."-prefixed names; expected embeddings computed by PyTorch
    # from exactly the rounded weights the C++ side will read.
    variants = {}
    for sub, dtype in [("f16", "F16"), ("bf16", "BF16")]:
        rounded = {}
        tensors = {}
        for k, v in state.items():
            a = v.numpy().astype(np.float32)
            if dtype == "F16":
                h = a.astype(np.float16)
                tensors["bert." + k] = ("F16", h)
                rounded[k] = torch.from_numpy(h.astype(np.float32))
            else:
                b = bf16_bits(a)
                tensors["bert." + k] = ("BF16", b)
                rounded[k] = torch.from_numpy((b.astype(np.uint32) << 16).view(np.float32))
        write_folder(os.path.join(out, sub), config, vocab)
        write_safetensors(os.path.join(out, sub, "model.safetensors"), tensors)
        m2 = Bert(config)
        load_hf_state(m2, rounded)
        m2.eval()
        variants[sub] = embed(m2, seqs)
        print("%s: max |emb - f32 emb| = %.3g" % (sub, (variants[sub] - emb32).abs().max().item()))

    expected = {
        "comment": "Generated by tools/make_minilm_fixture.py (PyTorch %s, seed %d). Embeddings of "
                   "all sentences computed in ONE padded batch with an attention mask." % (torch.__version__, SEED),
        "sentences": SENTENCES,
        "token_ids": seqs,
        "embeddings_f32": emb32.tolist(),
        "embeddings_f16": variants["f16"].tolist(),
        "embeddings_bf16": variants["bf16"].tolist(),
    }
    with open(os.path.join(out, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1)
        f.write("\n")


def load_hf_state(model, state):
    with torch.no_grad():
        model.word.weight.copy_(state["embeddings.word_embeddings.weight"])
        model.pos.weight.copy_(state["embeddings.position_embeddings.weight"])
        model.tok_type.weight.copy_(state["embeddings.token_type_embeddings.weight"])
        model.emb_ln.weight.copy_(state["embeddings.LayerNorm.weight"])
        model.emb_ln.bias.copy_(state["embeddings.LayerNorm.bias"])
        for i, m in enumerate(model.layers):
            p = f"encoder.layer.{i}."
            for name, mod in [("attention.self.query", m.q), ("attention.self.key", m.k),
                              ("attention.self.value", m.v), ("attention.output.dense", m.o),
                              ("attention.output.LayerNorm", m.ln1), ("intermediate.dense", m.i),
                              ("output.dense", m.out), ("output.LayerNorm", m.ln2)]:
                mod.weight.copy_(state[p + name + ".weight"])
                mod.bias.copy_(state[p + name + ".bias"])


if __name__ == "__main__":
    main()
