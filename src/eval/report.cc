#include "eval/report.h"

#include <spawn.h>
#include <sys/wait.h>

#include <cstdio>
#include <sstream>
#include <system_error>

#include "core/file_util.h"

extern char** environ;

namespace hybridrec {
namespace {

using Json = nlohmann::ordered_json;

std::string Fixed(double v, int digits = 4) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.*f", digits, v);
  return buf;
}

// Runs `python script report.json dir` without a shell; returns "" on success or the reason.
std::string RunPlotScript(const ReportOptions& options, const std::filesystem::path& dir) {
  std::error_code ec;
  if (!std::filesystem::exists(options.python, ec))
    return options.python + " not found: install python3 and python3-matplotlib (apt-get install python3-matplotlib)";
  if (!std::filesystem::exists(options.plot_script, ec))
    return "chart script " + options.plot_script.string() + " not found";
  std::string script = options.plot_script.string();
  std::string json = (dir / "report.json").string();
  std::string out = dir.string();
  std::string python = options.python;
  std::vector<char*> argv = {python.data(), script.data(), json.data(), out.data(), nullptr};
  pid_t pid = 0;
  if (posix_spawn(&pid, python.c_str(), nullptr, nullptr, argv.data(), environ) != 0)
    return "cannot start " + python;
  int status = 0;
  if (waitpid(pid, &status, 0) < 0) return "waiting for " + python + " failed";
  if (!WIFEXITED(status)) return script + " was killed";
  if (WEXITSTATUS(status) == 3)
    return "matplotlib is missing for " + python + ": apt-get install python3-matplotlib";
  if (WEXITSTATUS(status) != 0) return script + " failed with exit code " + std::to_string(WEXITSTATUS(status));
  return "";
}

void ModelTable(std::ostringstream& md, const Json& eval) {
  std::vector<size_t> ks = eval.at("k").get<std::vector<size_t>>();
  md << "| model |";
  for (size_t k : ks) md << " P@" << k << " | R@" << k << " | NDCG@" << k << " | MAP@" << k << " |";
  md << "\n|---|";
  for (size_t i = 0; i < ks.size(); ++i) md << "---:|---:|---:|---:|";
  md << "\n";
  for (const auto& [name, m] : eval.at("models").items()) {
    md << "| " << name << " |";
    for (size_t k : ks) {
      const std::string at = "@" + std::to_string(k);
      md << " " << Fixed(m.value("precision" + at, 0.0)) << " | " << Fixed(m.value("recall" + at, 0.0)) << " | "
         << Fixed(m.value("ndcg" + at, 0.0)) << " | " << Fixed(m.value("map" + at, 0.0)) << " |";
    }
    md << "\n";
  }
}

}  // namespace

std::string FormatReportMarkdown(const Json& report, std::span<const std::string> chart_files) {
  const Json& eval = report.at("evaluation");
  std::ostringstream md;
  md << "# hybridrec evaluation report\n\n";
  md << "Dataset `" << eval.value("dataset", "") << "`, protocol `" << eval.value("protocol", "") << "`, seed "
     << eval.value("seed", 0) << ", " << eval.value("users_evaluated", 0) << " users evaluated ("
     << eval.value("users_skipped", 0) << " without test items skipped).\n\n";
  md << "## Metrics on the test split\n\n";
  ModelTable(md, eval);
  if (eval.contains("paired") && !eval["paired"].empty()) {
    md << "\n## Paired differences (per user, mean ± standard error)\n\n| pair | metric | mean | stderr |\n"
          "|---|---|---:|---:|\n";
    for (const auto& [pair, metrics] : eval["paired"].items())
      for (const auto& [metric, v] : metrics.items())
        md << "| " << pair << " | " << metric << " | " << Fixed(v.value("mean", 0.0)) << " | "
           << Fixed(v.value("stderr", 0.0)) << " |\n";
  }
  if (report.contains("summary")) {
    const Json& s = report["summary"];
    md << "\n## Over seeds (mean ± sd, " << s.value("runs", 0) << " runs)\n\n| model | metric | mean | sd |\n"
          "|---|---|---:|---:|\n";
    for (const auto& [name, metrics] : s.at("models").items())
      for (const auto& [metric, v] : metrics.items())
        if (metric.rfind("ndcg", 0) == 0 || metric.rfind("recall", 0) == 0)
          md << "| " << name << " | " << metric << " | " << Fixed(v.value("mean", 0.0)) << " | "
             << Fixed(v.value("sd", 0.0)) << " |\n";
  }
  if (report.contains("fusion")) md << "\n## Fusion parameters\n\n```json\n" << report["fusion"].dump(2) << "\n```\n";
  if (eval.contains("params") && eval["params"].contains("collab"))
    md << "\n## ALS parameters\n\n```json\n" << eval["params"]["collab"].dump(2) << "\n```\n";
  if (report.contains("charts") && report["charts"].contains("diversity_sweep")) {
    const Json& sw = report["charts"]["diversity_sweep"];
    md << "\n## Accuracy vs diversity (MMR re-ranking of the hybrid)\n\nDist: intra-list content distance (mean "
          "pairwise cosine distance of the content embeddings, what MMR trades relevance against); ILD: intra-list "
          "genre diversity.\n\n| lambda |";
    for (const auto& k : sw["ks"])
      md << " NDCG@" << k.get<size_t>() << " | Dist@" << k.get<size_t>() << " | ILD@" << k.get<size_t>() << " |";
    md << "\n|---|";
    for (size_t i = 0; i < sw["ks"].size(); ++i) md << "---|---|---|";
    md << "\n";
    for (const auto& p : sw["points"]) {
      md << "| " << Fixed(p.value("lambda", 0.0), 2) << " |";
      for (const auto& k : sw["ks"]) {
        const std::string s = "@" + std::to_string(k.get<size_t>());
        md << " " << Fixed(p.value("ndcg" + s, 0.0)) << " | " << Fixed(p.value("content_ild" + s, 0.0)) << " | "
           << Fixed(p.value("ild" + s, 0.0)) << " |";
      }
      md << "\n";
    }
  }
  if (!chart_files.empty()) {
    md << "\n## Charts\n\n";
    for (const std::string& f : chart_files) md << "![" << f << "](" << f << ")\n\n";
  }
  return md.str();
}

Result<ReportFiles> WriteReport(const std::filesystem::path& dir, const Json& report, const ReportOptions& options) {
  if (!report.contains("evaluation")) return Status::InvalidArgument("report JSON has no \"evaluation\" object");
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Status::IOError("cannot create report directory " + dir.string() + ": " + ec.message());
  ReportFiles files;
  HR_RETURN_IF_ERROR(WriteFileAtomic(dir / "report.json", report.dump(2) + "\n"));
  files.written.push_back("report.json");
  std::vector<std::string> charts;
  if (options.charts) {
    files.charts_error = RunPlotScript(options, dir);
    for (const char* name : {"metrics.png", "weight_curve.png", "embeddings_pca.png", "als_loss.png",
                             "diversity_sweep.png"})
      if (std::filesystem::exists(dir / name, ec)) charts.push_back(name);
  }
  std::string md = FormatReportMarkdown(report, charts);
  if (!files.charts_error.empty()) md += "\n_Charts not drawn: " + files.charts_error + "_\n";
  HR_RETURN_IF_ERROR(WriteFileAtomic(dir / "report.md", md));
  files.written.push_back("report.md");
  for (const auto& c : charts) files.written.push_back(c);
  return files;
}

}  // namespace hybridrec
