// BertModel: a BERT encoder (post-LayerNorm, absolute positions, erf-GELU) with mean pooling
// and L2 normalisation, i.e. the sentence-transformers all-MiniLM-L6-v2 pipeline,
// loaded from a Hugging Face config.json + model.safetensors.
//
// The weights are plain structs named after the Hugging Face tensors. Query/key/value are
// stored fused ([3H, H], rows Q then K then V) so one GEMM produces all three.
//
// Thread-safety: immutable after Load; Forward is const and may run concurrently. Scratch
// buffers are taken from an internal mutex-guarded pool and kept for reuse (the pool grows to
// the peak number of concurrent groups x the largest group seen; this avoids re-faulting
// fresh pages on every call). Forward uses OpenBLAS for matrix products and up to
// `threads` std::threads for attention and element-wise work (see ForwardOptions).
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include "core/status.h"

namespace hybridrec {

struct BertConfig {
  int hidden_size = 384;
  int num_hidden_layers = 6;
  int num_attention_heads = 12;
  int intermediate_size = 1536;
  int max_position_embeddings = 512;
  int vocab_size = 30522;
  int type_vocab_size = 2;
  float layer_norm_eps = 1e-12f;

  // Parses a Hugging Face config.json; hidden_act must be "gelu" (the erf form) and
  // hidden_size divisible by num_attention_heads.
  static Result<BertConfig> Load(const std::filesystem::path& config_json);
  Status Validate() const;
};

// Names in comments are the Hugging Face tensor names under "encoder.layer.<i>.".
struct BertLayerWeights {
  std::vector<float> qkv_weight;       // attention.self.{query,key,value}.weight, [3H, H]
  std::vector<float> qkv_bias;         // attention.self.{query,key,value}.bias, [3H]
  std::vector<float> attn_out_weight;  // attention.output.dense.weight, [H, H]
  std::vector<float> attn_out_bias;    // attention.output.dense.bias, [H]
  std::vector<float> attn_ln_weight;   // attention.output.LayerNorm.weight, [H]
  std::vector<float> attn_ln_bias;     // attention.output.LayerNorm.bias, [H]
  std::vector<float> inter_weight;     // intermediate.dense.weight, [I, H]
  std::vector<float> inter_bias;       // intermediate.dense.bias, [I]
  std::vector<float> out_weight;       // output.dense.weight, [H, I]
  std::vector<float> out_bias;         // output.dense.bias, [H]
  std::vector<float> out_ln_weight;    // output.LayerNorm.weight, [H]
  std::vector<float> out_ln_bias;      // output.LayerNorm.bias, [H]
};

struct BertWeights {
  std::vector<float> word_embeddings;      // embeddings.word_embeddings.weight, [V, H]
  std::vector<float> position_embeddings;  // embeddings.position_embeddings.weight, [P, H]
  std::vector<float> token_type_embeddings;  // embeddings.token_type_embeddings.weight, [T, H]
  std::vector<float> emb_ln_weight;        // embeddings.LayerNorm.weight, [H]
  std::vector<float> emb_ln_bias;          // embeddings.LayerNorm.bias, [H]
  std::vector<BertLayerWeights> layers;
};

struct ForwardOptions {
  // Threads (0 = all hardware threads).
  int threads = 0;
  enum class Parallelism {
    // Default. Sequences are split into `threads` groups with about equal token counts and
    // each thread runs the whole encoder on its group, with OpenBLAS set to one thread (no
    // oversubscription, no synchronisation between layers). A batch of one sequence uses
    // one thread.
    kSequences,
    // One group; OpenBLAS threads the matrix products with `threads` threads. Kept for the
    // benchmark comparison; faster only for single short sequences.
    kBlas,
  };
  Parallelism parallelism = Parallelism::kSequences;
};

// Sets OpenBLAS's thread count when the BLAS in use is OpenBLAS (no-op otherwise). This is
// process-wide state: hybridrec's encoder keeps OpenBLAS single-threaded and parallelises
// above it.
void SetBlasThreads(int threads);

struct BertWorkspace;  // scratch buffers of one forward group (bert_model.cc)

class BertModel {
 public:
  BertModel();
  ~BertModel();
  BertModel(BertModel&&) noexcept;
  BertModel& operator=(BertModel&&) noexcept;

  // Reads model.safetensors (F32/F16/BF16; names with or without a "bert." prefix; pooler.*
  // and embeddings.position_ids are ignored). A missing tensor or a wrong shape is an error
  // naming the tensor.
  static Result<BertModel> Load(const BertConfig& config, const std::filesystem::path& safetensors_file);
  // Random weights (uniform with standard deviation 0.02 for matrices and biases, LayerNorm weight 1 / bias 0), for benchmarks.
  static BertModel Random(const BertConfig& config, uint64_t seed);

  const BertConfig& config() const { return config_; }
  const BertWeights& weights() const { return weights_; }

  // Encodes a batch of token-id sequences (each [CLS] ... [SEP], 1 <= length <=
  // max_position_embeddings, ids < vocab_size) into `out` (sequences.size() x hidden_size,
  // row-major): mean-pooled over the tokens, L2-normalised. Sequences of different lengths
  // share one batch; each attends only to its own tokens, so the result of a sequence does
  // not depend on what it is batched with. Throws std::invalid_argument on bad ids/lengths.
  void Forward(std::span<const std::vector<int32_t>> sequences, float* out,
               const ForwardOptions& options = {}) const;

  // Useful floating-point operations for `tokens` tokens in sequences of length `seq_len`
  // (the matrix products plus attention scores/context), for throughput reporting.
  double Flops(double tokens, double seq_len) const;

 private:
  std::unique_ptr<BertWorkspace> AcquireWorkspace() const;
  void ReleaseWorkspace(std::unique_ptr<BertWorkspace> ws) const;

  BertConfig config_;
  BertWeights weights_;
  struct Pool {
    std::mutex mu;
    std::vector<std::unique_ptr<BertWorkspace>> free;
  };
  std::unique_ptr<Pool> pool_;
};

}  // namespace hybridrec
