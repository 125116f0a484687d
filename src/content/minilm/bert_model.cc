#include "content/minilm/bert_model.h"

#include <cblas.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <numeric>
#include <stdexcept>
#include <thread>

#include "content/minilm/fast_math.h"
#include "content/minilm/safetensors.h"
#include "core/parallel.h"
#include "core/random.h"
#include "core/vector_kernels.h"

// Declared weak so that linking against a non-OpenBLAS BLAS still works (then it is null).
extern "C" void openblas_set_num_threads(int num_threads) __attribute__((weak));

namespace hybridrec {

void SetBlasThreads(int threads) {
  if (openblas_set_num_threads != nullptr) openblas_set_num_threads(std::max(1, threads));
}

// ---------------------------------------------------------------------------------------------
// Config

Status BertConfig::Validate() const {
  auto bad = [](const std::string& what) { return Status::InvalidArgument("BERT config: " + what); };
  if (hidden_size <= 0 || num_hidden_layers <= 0 || num_attention_heads <= 0 || intermediate_size <= 0 ||
      max_position_embeddings <= 0 || vocab_size <= 0 || type_vocab_size <= 0)
    return bad("all sizes must be positive");
  if (hidden_size % num_attention_heads != 0)
    return bad("hidden_size " + std::to_string(hidden_size) + " is not divisible by num_attention_heads " +
               std::to_string(num_attention_heads));
  if (!(layer_norm_eps > 0.0f)) return bad("layer_norm_eps must be positive");
  return Status::Ok();
}

Result<BertConfig> BertConfig::Load(const std::filesystem::path& config_json) {
  std::ifstream in(config_json);
  if (!in) return Status::IOError("cannot open " + config_json.string() + " (expected a Hugging Face config.json)");
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(in);
  } catch (const nlohmann::json::parse_error& e) {
    return Status::Corruption(config_json.string() + ": malformed JSON at byte " + std::to_string(e.byte) + ": " +
                              e.what());
  } catch (const nlohmann::json::exception& e) {
    // e.g. out_of_range 406, a number too large for a double (found by fuzz/fuzz_bert_config.cc)
    return Status::Corruption(config_json.string() + ": malformed JSON: " + e.what());
  }
  BertConfig c;
  auto get_int = [&](const char* key, int& dst, bool required) -> Status {
    if (!j.contains(key)) {
      if (required) return Status::Corruption(config_json.string() + ": missing field '" + key + "'");
      return Status::Ok();
    }
    // Range-checked: get<int>() would silently truncate a larger integer.
    if (!j[key].is_number_integer() || j[key].get<int64_t>() < std::numeric_limits<int>::min() ||
        j[key].get<int64_t>() > std::numeric_limits<int>::max() ||
        (j[key].is_number_unsigned() && j[key].get<uint64_t>() > uint64_t{std::numeric_limits<int>::max()}))
      return Status::Corruption(config_json.string() + ": field '" + key + "' must be an integer (32-bit)");
    dst = j[key].get<int>();
    return Status::Ok();
  };
  HR_RETURN_IF_ERROR(get_int("hidden_size", c.hidden_size, true));
  HR_RETURN_IF_ERROR(get_int("num_hidden_layers", c.num_hidden_layers, true));
  HR_RETURN_IF_ERROR(get_int("num_attention_heads", c.num_attention_heads, true));
  HR_RETURN_IF_ERROR(get_int("intermediate_size", c.intermediate_size, true));
  HR_RETURN_IF_ERROR(get_int("max_position_embeddings", c.max_position_embeddings, true));
  HR_RETURN_IF_ERROR(get_int("vocab_size", c.vocab_size, true));
  HR_RETURN_IF_ERROR(get_int("type_vocab_size", c.type_vocab_size, false));
  if (j.contains("layer_norm_eps")) {
    // Read as double and range-checked: converting a double beyond float's range to float is
    // undefined behaviour (found by fuzz/fuzz_bert_config.cc).
    const double eps = j["layer_norm_eps"].is_number() ? j["layer_norm_eps"].get<double>() : -1.0;
    if (!(eps > 0.0 && eps <= 1.0))
      return Status::Corruption(config_json.string() + ": field 'layer_norm_eps' must be a number in (0, 1]");
    c.layer_norm_eps = static_cast<float>(eps);
  }
  if (j.contains("hidden_act") && !j["hidden_act"].is_string())
    return Status::Corruption(config_json.string() + ": field 'hidden_act' must be a string");
  const std::string act = j.value("hidden_act", std::string("gelu"));
  if (act != "gelu")
    return Status::Unsupported(config_json.string() + ": hidden_act '" + act +
                               "' is not supported; only 'gelu' (the erf form) is implemented");
  if (j.contains("position_embedding_type") && j["position_embedding_type"] != "absolute")
    return Status::Unsupported(config_json.string() + ": only position_embedding_type 'absolute' is supported");
  HR_RETURN_IF_ERROR(c.Validate().WithContext(config_json.string()));
  return c;
}

// ---------------------------------------------------------------------------------------------
// Loading

namespace {

class TensorReader {
 public:
  explicit TensorReader(const SafetensorsFile& f) : f_(f) {}

  // Reads `name` (or "bert." + name) as float and checks its shape.
  Result<std::vector<float>> Read(const std::string& name, std::vector<int64_t> shape) const {
    const SafetensorsTensor* t = f_.Find(name);
    if (t == nullptr) t = f_.Find("bert." + name);
    if (t == nullptr)
      return Status::NotFound(f_.path().string() + ": missing tensor '" + name +
                              "' (also looked for 'bert." + name + "'); is this a BERT checkpoint matching config.json?");
    if (t->shape != shape) {
      auto str = [](const std::vector<int64_t>& s) {
        std::string r = "[";
        for (size_t i = 0; i < s.size(); ++i) r += (i ? ", " : "") + std::to_string(s[i]);
        return r + "]";
      };
      return Status::Corruption(f_.path().string() + ": tensor '" + t->name + "' has shape " + str(t->shape) +
                                " but config.json implies " + str(shape));
    }
    HR_ASSIGN_OR_RETURN(std::vector<float> v, f_.ReadFloat(*t));
    // NaN/Inf weights would only produce NaN embeddings (and undefined float-to-int
    // conversions in the fast math); refuse them here, naming the tensor.
    for (size_t i = 0; i < v.size(); ++i)
      if (!std::isfinite(v[i]))
        return Status::Corruption(f_.path().string() + ": tensor '" + t->name + "' has a non-finite value (" +
                                  std::to_string(v[i]) + ") at element " + std::to_string(i) +
                                  "; the weights file is damaged, fetch the model again");
    return v;
  }

 private:
  const SafetensorsFile& f_;
};

}  // namespace

Result<BertModel> BertModel::Load(const BertConfig& config, const std::filesystem::path& safetensors_file) {
  HR_RETURN_IF_ERROR(config.Validate());
  HR_ASSIGN_OR_RETURN(SafetensorsFile file, SafetensorsFile::Open(safetensors_file));
  const TensorReader r(file);
  const int64_t H = config.hidden_size, I = config.intermediate_size;
  BertModel m;
  m.config_ = config;
  BertWeights& w = m.weights_;
  HR_ASSIGN_OR_RETURN(w.word_embeddings, r.Read("embeddings.word_embeddings.weight", {config.vocab_size, H}));
  HR_ASSIGN_OR_RETURN(w.position_embeddings,
                      r.Read("embeddings.position_embeddings.weight", {config.max_position_embeddings, H}));
  HR_ASSIGN_OR_RETURN(w.token_type_embeddings,
                      r.Read("embeddings.token_type_embeddings.weight", {config.type_vocab_size, H}));
  HR_ASSIGN_OR_RETURN(w.emb_ln_weight, r.Read("embeddings.LayerNorm.weight", {H}));
  HR_ASSIGN_OR_RETURN(w.emb_ln_bias, r.Read("embeddings.LayerNorm.bias", {H}));
  w.layers.resize(static_cast<size_t>(config.num_hidden_layers));
  for (int l = 0; l < config.num_hidden_layers; ++l) {
    const std::string p = "encoder.layer." + std::to_string(l) + ".";
    BertLayerWeights& L = w.layers[static_cast<size_t>(l)];
    L.qkv_weight.reserve(static_cast<size_t>(3 * H * H));
    L.qkv_bias.reserve(static_cast<size_t>(3 * H));
    for (const char* part : {"query", "key", "value"}) {
      HR_ASSIGN_OR_RETURN(std::vector<float> wt, r.Read(p + "attention.self." + part + ".weight", {H, H}));
      HR_ASSIGN_OR_RETURN(std::vector<float> b, r.Read(p + "attention.self." + part + ".bias", {H}));
      L.qkv_weight.insert(L.qkv_weight.end(), wt.begin(), wt.end());
      L.qkv_bias.insert(L.qkv_bias.end(), b.begin(), b.end());
    }
    HR_ASSIGN_OR_RETURN(L.attn_out_weight, r.Read(p + "attention.output.dense.weight", {H, H}));
    HR_ASSIGN_OR_RETURN(L.attn_out_bias, r.Read(p + "attention.output.dense.bias", {H}));
    HR_ASSIGN_OR_RETURN(L.attn_ln_weight, r.Read(p + "attention.output.LayerNorm.weight", {H}));
    HR_ASSIGN_OR_RETURN(L.attn_ln_bias, r.Read(p + "attention.output.LayerNorm.bias", {H}));
    HR_ASSIGN_OR_RETURN(L.inter_weight, r.Read(p + "intermediate.dense.weight", {I, H}));
    HR_ASSIGN_OR_RETURN(L.inter_bias, r.Read(p + "intermediate.dense.bias", {I}));
    HR_ASSIGN_OR_RETURN(L.out_weight, r.Read(p + "output.dense.weight", {H, I}));
    HR_ASSIGN_OR_RETURN(L.out_bias, r.Read(p + "output.dense.bias", {H}));
    HR_ASSIGN_OR_RETURN(L.out_ln_weight, r.Read(p + "output.LayerNorm.weight", {H}));
    HR_ASSIGN_OR_RETURN(L.out_ln_bias, r.Read(p + "output.LayerNorm.bias", {H}));
  }
  return m;
}

BertModel BertModel::Random(const BertConfig& config, uint64_t seed) {
  if (!config.Validate().ok()) throw std::invalid_argument(config.Validate().message());
  const size_t H = static_cast<size_t>(config.hidden_size), I = static_cast<size_t>(config.intermediate_size);
  Rng rng(seed);
  // Uniform with standard deviation 0.02 (cheaper than normal draws for 22M weights).
  auto normal = [&](size_t n) {
    std::vector<float> v(n);
    for (float& x : v) x = static_cast<float>(0.02 * std::sqrt(3.0) * (2.0 * rng.Uniform() - 1.0));
    return v;
  };
  BertModel m;
  m.config_ = config;
  BertWeights& w = m.weights_;
  w.word_embeddings = normal(static_cast<size_t>(config.vocab_size) * H);
  w.position_embeddings = normal(static_cast<size_t>(config.max_position_embeddings) * H);
  w.token_type_embeddings = normal(static_cast<size_t>(config.type_vocab_size) * H);
  w.emb_ln_weight.assign(H, 1.0f);
  w.emb_ln_bias.assign(H, 0.0f);
  w.layers.resize(static_cast<size_t>(config.num_hidden_layers));
  for (auto& L : w.layers) {
    L.qkv_weight = normal(3 * H * H);
    L.qkv_bias = normal(3 * H);
    L.attn_out_weight = normal(H * H);
    L.attn_out_bias = normal(H);
    L.attn_ln_weight.assign(H, 1.0f);
    L.attn_ln_bias.assign(H, 0.0f);
    L.inter_weight = normal(I * H);
    L.inter_bias = normal(I);
    L.out_weight = normal(H * I);
    L.out_bias = normal(H);
    L.out_ln_weight.assign(H, 1.0f);
    L.out_ln_bias.assign(H, 0.0f);
  }
  return m;
}

double BertModel::Flops(double tokens, double seq_len) const {
  const double H = config_.hidden_size, I = config_.intermediate_size;
  const double per_layer = 2.0 * (3 * H * H + H * H + 2 * H * I)  // Q,K,V, output, FFN in and out
                           + 2.0 * 2.0 * seq_len * H;                // scores and context
  return tokens * per_layer * config_.num_hidden_layers;
}

// ---------------------------------------------------------------------------------------------
// Forward pass

// Scratch buffers for one forward pass over a group of sequences. They only ever grow.
struct BertWorkspace {
  std::vector<float> x, qkv, ctx, tmp, inter, scores;
  static void Grow(std::vector<float>& v, size_t n) {
    if (v.size() < n) v.resize(n);
  }
};

BertModel::BertModel() : pool_(std::make_unique<Pool>()) {}
BertModel::~BertModel() = default;
BertModel::BertModel(BertModel&&) noexcept = default;
BertModel& BertModel::operator=(BertModel&&) noexcept = default;

std::unique_ptr<BertWorkspace> BertModel::AcquireWorkspace() const {
  std::lock_guard<std::mutex> lock(pool_->mu);
  if (pool_->free.empty()) return std::make_unique<BertWorkspace>();
  auto ws = std::move(pool_->free.back());
  pool_->free.pop_back();
  return ws;
}

void BertModel::ReleaseWorkspace(std::unique_ptr<BertWorkspace> ws) const {
  std::lock_guard<std::mutex> lock(pool_->mu);
  pool_->free.push_back(std::move(ws));
}

namespace {

// y = x W^T (+ beta * y), x: [M, K] (ld lda), W: [N, K] row-major (a PyTorch Linear weight).
void MatMulWt(int M, int N, int K, const float* x, int lda, const float* W, float* y, int ldc, float beta = 0.0f) {
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, M, N, K, 1.0f, x, lda, W, K, beta, y, ldc);
}

// In place: row = LayerNorm(row) * gamma + beta, for `rows` rows of width `n`.
void LayerNorm(float* x, size_t rows, size_t n, const float* gamma, const float* beta, float eps) {
  for (size_t r = 0; r < rows; ++r) {
    float* v = x + r * n;
    float mean = 0.0f;
    for (size_t i = 0; i < n; ++i) mean += v[i];
    mean /= static_cast<float>(n);
    float var = 0.0f;
    for (size_t i = 0; i < n; ++i) var += (v[i] - mean) * (v[i] - mean);
    var /= static_cast<float>(n);
    const float inv = 1.0f / std::sqrt(var + eps);
    for (size_t i = 0; i < n; ++i) v[i] = (v[i] - mean) * inv * gamma[i] + beta[i];
  }
}


// The whole encoder for a group of sequences, single-threaded (BLAS may thread internally).
// Tokens of all sequences are packed one after another (no padding rows): the per-token
// layers do not care where a sequence ends, and attention below only ever looks at the
// tokens of its own sequence — which is exactly what padding plus a key mask computes.
void ForwardGroup(const BertConfig& cfg, const BertWeights& w, std::span<const std::vector<int32_t>> seqs,
                  float* out, BertWorkspace& ws) {
  const int H = cfg.hidden_size, I = cfg.intermediate_size, NH = cfg.num_attention_heads;
  const int dh = H / NH;
  const size_t h = static_cast<size_t>(H);
  std::vector<size_t> offset(seqs.size() + 1, 0);
  for (size_t s = 0; s < seqs.size(); ++s) offset[s + 1] = offset[s] + seqs[s].size();
  const size_t N = offset.back();
  const int n = static_cast<int>(N);
  size_t max_len = 0;
  for (const auto& s : seqs) max_len = std::max(max_len, s.size());

  BertWorkspace::Grow(ws.x, N * h);
  BertWorkspace::Grow(ws.qkv, N * 3 * h);
  BertWorkspace::Grow(ws.ctx, N * h);
  BertWorkspace::Grow(ws.tmp, N * h);
  BertWorkspace::Grow(ws.inter, N * static_cast<size_t>(I));
  BertWorkspace::Grow(ws.scores, max_len * max_len);
  float* x = ws.x.data();

  // Embeddings: word + position (from 0 in each sequence) + token type 0, then LayerNorm.
  for (size_t s = 0; s < seqs.size(); ++s) {
    for (size_t p = 0; p < seqs[s].size(); ++p) {
      float* row = x + (offset[s] + p) * h;
      const float* we = w.word_embeddings.data() + static_cast<size_t>(seqs[s][p]) * h;
      const float* pe = w.position_embeddings.data() + p * h;
      const float* te = w.token_type_embeddings.data();
      for (size_t i = 0; i < h; ++i) row[i] = we[i] + pe[i] + te[i];
    }
  }
  LayerNorm(x, N, h, w.emb_ln_weight.data(), w.emb_ln_bias.data(), cfg.layer_norm_eps);

  const float scale = 1.0f / std::sqrt(static_cast<float>(dh));
  for (const BertLayerWeights& L : w.layers) {
    // Self-attention, Q/K/V projections: qkv[N, 3H] = x Wqkv^T + b.
    MatMulWt(n, 3 * H, H, x, H, L.qkv_weight.data(), ws.qkv.data(), 3 * H);
    for (size_t t = 0; t < N; ++t) {
      float* row = ws.qkv.data() + t * 3 * h;
      for (size_t i = 0; i < 3 * h; ++i) row[i] += L.qkv_bias[i];
    }

    // Scaled dot-product attention per (sequence, head); keys are this sequence's tokens only.
    for (size_t s = 0; s < seqs.size(); ++s) {
      const int len = static_cast<int>(seqs[s].size());
      const float* base = ws.qkv.data() + offset[s] * 3 * h;
      float* S = ws.scores.data();
      for (int hd = 0; hd < NH; ++hd) {
        const float* q = base + hd * dh;
        const float* k = base + H + hd * dh;
        const float* v = base + 2 * H + hd * dh;
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, len, len, dh, scale, q, 3 * H, k, 3 * H, 0.0f, S, len);
        for (int r = 0; r < len; ++r)  // softmax over the keys
          SoftmaxInPlace(S + static_cast<size_t>(r) * static_cast<size_t>(len), static_cast<size_t>(len));
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, len, dh, len, 1.0f, S, len, v, 3 * H, 0.0f,
                    ws.ctx.data() + offset[s] * h + static_cast<size_t>(hd * dh), H);
      }
    }

    // Attention output projection, residual, LayerNorm.
    std::memcpy(ws.tmp.data(), x, N * h * sizeof(float));
    MatMulWt(n, H, H, ws.ctx.data(), H, L.attn_out_weight.data(), ws.tmp.data(), H, 1.0f);
    for (size_t t = 0; t < N; ++t)
      for (size_t i = 0; i < h; ++i) ws.tmp[t * h + i] += L.attn_out_bias[i];
    LayerNorm(ws.tmp.data(), N, h, L.attn_ln_weight.data(), L.attn_ln_bias.data(), cfg.layer_norm_eps);
    std::swap(ws.x, ws.tmp);
    x = ws.x.data();

    // Feed-forward: GELU(x Wi^T + bi) Wo^T + bo, with GELU(u) = u/2 (1 + erf(u / sqrt 2)).
    MatMulWt(n, I, H, x, H, L.inter_weight.data(), ws.inter.data(), I);
    {
      const size_t ii = static_cast<size_t>(I);
      for (size_t t = 0; t < N; ++t) {
        float* u = ws.inter.data() + t * ii;
        for (size_t i = 0; i < ii; ++i) u[i] += L.inter_bias[i];
      }
      GeluInPlace(ws.inter.data(), N * ii);
    }
    // Residual, LayerNorm.
    std::memcpy(ws.tmp.data(), x, N * h * sizeof(float));
    MatMulWt(n, H, I, ws.inter.data(), I, L.out_weight.data(), ws.tmp.data(), H, 1.0f);
    for (size_t t = 0; t < N; ++t)
      for (size_t i = 0; i < h; ++i) ws.tmp[t * h + i] += L.out_bias[i];
    LayerNorm(ws.tmp.data(), N, h, L.out_ln_weight.data(), L.out_ln_bias.data(), cfg.layer_norm_eps);
    std::swap(ws.x, ws.tmp);
    x = ws.x.data();
  }

  // Mean pooling over each sequence's tokens, then L2 normalisation.
  for (size_t s = 0; s < seqs.size(); ++s) {
    float* o = out + s * h;
    std::fill(o, o + h, 0.0f);
    for (size_t t = offset[s]; t < offset[s + 1]; ++t)
      for (size_t i = 0; i < h; ++i) o[i] += x[t * h + i];
    const float inv_len = 1.0f / static_cast<float>(seqs[s].size());
    for (size_t i = 0; i < h; ++i) o[i] *= inv_len;
    const float inv = InvNorm(o, h);
    for (size_t i = 0; i < h; ++i) o[i] *= inv;
  }
}

}  // namespace

void BertModel::Forward(std::span<const std::vector<int32_t>> sequences, float* out,
                        const ForwardOptions& options) const {
  for (size_t s = 0; s < sequences.size(); ++s) {
    const auto& seq = sequences[s];
    if (seq.empty() || seq.size() > static_cast<size_t>(config_.max_position_embeddings))
      throw std::invalid_argument("BertModel::Forward: sequence " + std::to_string(s) + " has length " +
                                  std::to_string(seq.size()) + "; must be in [1, " +
                                  std::to_string(config_.max_position_embeddings) + "]");
    for (int32_t id : seq)
      if (id < 0 || id >= config_.vocab_size)
        throw std::invalid_argument("BertModel::Forward: token id " + std::to_string(id) + " in sequence " +
                                    std::to_string(s) + " is outside [0, " + std::to_string(config_.vocab_size) + ")");
  }
  if (sequences.empty()) return;
  if (options.parallelism == ForwardOptions::Parallelism::kBlas) {
    SetBlasThreads(ResolveThreads(options.threads));
    auto ws = AcquireWorkspace();
    ForwardGroup(config_, weights_, sequences, out, *ws);
    ReleaseWorkspace(std::move(ws));
    return;
  }
  // Several callers may each run encoders on their own threads; a threaded OpenBLAS under
  // them would oversubscribe the cores, so it is kept at one thread.
  SetBlasThreads(1);
  // Data-parallel over sequences: each thread runs the whole encoder on a contiguous group
  // with about the same number of tokens. No synchronisation between layers.
  const size_t threads = std::min(static_cast<size_t>(ResolveThreads(options.threads)), sequences.size());
  if (threads <= 1) {
    auto ws = AcquireWorkspace();
    ForwardGroup(config_, weights_, sequences, out, *ws);
    ReleaseWorkspace(std::move(ws));
    return;
  }
  size_t total = 0;
  for (const auto& s : sequences) total += s.size();
  std::vector<size_t> cut{0};
  size_t acc = 0;
  for (size_t s = 0; s < sequences.size(); ++s) {
    acc += sequences[s].size();
    if (cut.size() < threads && acc * threads >= total * cut.size() && s + 1 < sequences.size()) cut.push_back(s + 1);
  }
  cut.push_back(sequences.size());
  const size_t h = static_cast<size_t>(config_.hidden_size);
  ParallelFor(cut.size() - 1, static_cast<int>(threads), [&](size_t b, size_t e) {
    for (size_t g = b; g < e; ++g) {
      auto ws = AcquireWorkspace();
      ForwardGroup(config_, weights_, sequences.subspan(cut[g], cut[g + 1] - cut[g]), out + cut[g] * h, *ws);
      ReleaseWorkspace(std::move(ws));
    }
  }, 1);
}

}  // namespace hybridrec
