// `hybridrec embed` (item embeddings + vector index + encoder files for a catalogue) and
// `hybridrec search` (semantic search of a free-text query). Thin: flags -> options -> the
// content library (content/content_model.h).
#include <iomanip>
#include <iostream>
#include <memory>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "content/content_model.h"
#include "core/progress.h"
#include "data/loader.h"

namespace hybridrec::cli {
namespace {

struct EmbedArgs {
  std::string data, out, encoder = "auto", minilm_dir, index = "auto";
  int lsa_dim = LsaOptions{}.dim;
  uint64_t seed = LsaOptions{}.seed;
  bool quiet = false;
};

struct SearchArgs {
  std::string model, text;
  int k = 10;
  int ef_search = 0;
  bool json = false;
};

int Fail(const Status& s) {
  std::cerr << "error: " << s.message() << "\n";
  return 1;
}

int RunEmbed(const EmbedArgs& a) {
  ContentModelOptions opt;
  auto choice = ParseEncoderChoice(a.encoder);
  if (!choice.ok()) return Fail(choice.status());
  opt.encoder.choice = *choice;
  opt.encoder.minilm_dir = a.minilm_dir;
  opt.encoder.lsa.dim = a.lsa_dim;
  opt.encoder.lsa.seed = a.seed;
  auto kind = ParseIndexKind(a.index);
  if (!kind.ok()) return Fail(kind.status());
  opt.index.kind = *kind;

  auto data = LoadDataset(a.data);
  if (!data.ok()) return Fail(data.status());
  std::string message;
  std::unique_ptr<Progress> progress;
  auto model = BuildContentModel(*data, opt, &message, [&](size_t done, size_t total) {
    if (!progress) {
      // The encoder is chosen (and LSA fitted) before the first batch: say which, once.
      if (!a.quiet) std::cerr << message << "\n";
      progress = std::make_unique<Progress>("embedding items", total, a.quiet);
    }
    progress->Update(done);
  });
  if (!model.ok()) return Fail(model.status());
  if (progress) progress->Finish();
  auto files = SaveContentModel(*model, a.out);
  if (!files.ok()) return Fail(files.status());
  std::cout << "embedded " << model->num_items() << " items with " << model->encoder->name() << " (d = "
            << model->dimension() << "), index " << DescribeIndex(*model->index) << ", written to " << a.out << ":";
  for (const auto& f : *files) std::cout << " " << f;
  std::cout << "\n";
  return 0;
}

int RunSearch(const SearchArgs& a) {
  auto model = LoadContentModel(a.model, a.ef_search);
  if (!model.ok()) return Fail(model.status());
  auto hits = SearchByText(*model, a.text, a.k);
  if (!hits.ok()) return Fail(hits.status());
  if (a.json) {
    nlohmann::json out = {{"query", a.text}, {"encoder", model->encoder->name()}, {"items", nlohmann::json::array()}};
    for (const auto& h : *hits)
      out["items"].push_back({{"id", model->item_ids[h.item]}, {"title", model->titles[h.item]}, {"score", h.score}});
    std::cout << out.dump(2) << "\n";
    return 0;
  }
  if (hits->empty()) {
    std::cout << "no match: none of the query's words is known to the " << model->encoder->name() << " encoder\n";
    return 0;
  }
  for (size_t r = 0; r < hits->size(); ++r) {
    const auto& h = (*hits)[r];
    std::cout << std::setw(3) << r + 1 << ". " << std::setw(8) << model->item_ids[h.item] << "  " << std::fixed
              << std::setprecision(4) << std::setw(7) << h.score << "  " << model->titles[h.item] << "\n";
  }
  return 0;
}

}  // namespace

void RegisterSearch(CLI::App& app, CommandRegistry& reg) {
  auto e = std::make_shared<EmbedArgs>();
  CLI::App* embed = app.add_subcommand("embed", "Embed every item's text and build the similarity index");
  embed->add_option("--data", e->data, "dataset directory (ml-100k, movielens csv or generic layout)")->required();
  embed->add_option("--out", e->out, "output directory for embeddings, index and encoder files")->required();
  embed->add_option("--encoder", e->encoder, "minilm | lsa | auto (minilm when its weights are present)")
      ->capture_default_str()
      ->check(CLI::IsMember({"minilm", "lsa", "auto"}));
  embed->add_option("--minilm-dir", e->minilm_dir,
                    "MiniLM model folder (default $HYBRIDREC_MINILM_DIR or models/all-MiniLM-L6-v2)");
  embed->add_option("--index", e->index, "auto | flat | hnsw (auto: flat below 50,000 items)")
      ->capture_default_str()
      ->check(CLI::IsMember({"auto", "flat", "hnsw", "brute"}));
  embed->add_option("--lsa-dim", e->lsa_dim, "LSA dimension")->capture_default_str()->check(CLI::Range(1, 4096));
  embed->add_option("--seed", e->seed, "LSA random seed")->capture_default_str();
  embed->add_flag("-q,--quiet", e->quiet, "no progress line or encoder message");
  reg.Add(embed, [e] { return RunEmbed(*e); });

  auto s = std::make_shared<SearchArgs>();
  CLI::App* search = app.add_subcommand("search", "Items whose text is closest to a free-text query");
  search->add_option("--model", s->model, "directory written by `hybridrec embed` (or train)")->required();
  search->add_option("--text", s->text, "query text, e.g. \"space opera with robots\"")->required();
  search->add_option("-k,--k", s->k, "number of items")->capture_default_str()->check(CLI::Range(1, 1000));
  search->add_option("--ef-search", s->ef_search, "HNSW search depth (0 = as saved)")->check(CLI::Range(0, 100000));
  search->add_flag("--json", s->json, "print JSON");
  reg.Add(search, [s] { return RunSearch(*s); });
}

}  // namespace hybridrec::cli
