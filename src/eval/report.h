// `evaluate --report DIR`: writes the evaluation as report.json, a Markdown
// summary report.md (metric tables + links to the charts) and PNG charts drawn by
// tools/plot_report.py (matplotlib, run as an external python3 process).
//
// The caller assembles the report JSON (see WriteReport for the keys it reads); this layer does
// not depend on the ranking or content layers, so the chart data (adaptive-weight curve, item
// embedding projection, ALS loss) arrives as plain numbers.
// Thread-safety: reentrant (no shared state).
#pragma once

#include <cstddef>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/status.h"

namespace hybridrec {

struct ReportOptions {
  // Script that draws the charts; empty = <HYBRIDREC source dir>/tools/plot_report.py resolved by
  // the caller. Charts are skipped (with a note in report.md) when `charts` is false.
  std::filesystem::path plot_script;
  std::string python = "/usr/bin/python3";
  bool charts = true;
};

struct ReportFiles {
  std::vector<std::string> written;  // file names inside the directory
  std::string charts_error;          // non-empty when the chart step failed (report.md says so)
};

// Writes DIR/report.json (`report` as is), DIR/report.md and, when options.charts, the charts.
// Keys read from `report`: "evaluation" (EvaluationResult::ToJson shape; required), optional
// "summary" (SummarizeRuns), "fusion" (chosen ranker options), "charts" (data for the script:
// "weight_curve" {"T","w_max","sizes":[..],"w":[..],"history_sizes":[..]}, "pca" {"x","y",
// "genre"}, "als_loss" [..], "diversity_sweep" (eval/diversity_sweep.h SweepJson: a table in
// report.md and diversity_sweep.png)). Errors: IOError when a file cannot be written; InvalidArgument
// without "evaluation". A failing chart script is not an error: it is reported in
// ReportFiles::charts_error (e.g. matplotlib missing: "apt-get install python3-matplotlib").
Result<ReportFiles> WriteReport(const std::filesystem::path& dir, const nlohmann::ordered_json& report,
                                const ReportOptions& options);

// The Markdown text of report.md (tables of every model's metrics, the paired differences, the
// chosen parameters and links to the chart files that exist in `chart_files`).
std::string FormatReportMarkdown(const nlohmann::ordered_json& report, std::span<const std::string> chart_files);

}  // namespace hybridrec
