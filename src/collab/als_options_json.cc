#include "collab/als_options_json.h"

namespace hybridrec {

nlohmann::ordered_json AlsOptionsToJson(const AlsOptions& o) {
  return nlohmann::ordered_json{{"factors", o.factors},
          {"regularization", o.regularization},
          {"reg_exponent", o.reg_exponent},
          {"reg_offset", o.reg_offset},
          {"confidence", ConfidenceKindName(o.confidence.kind)},
          {"alpha", o.confidence.alpha},
          {"confidence_eps", o.confidence.eps},
          {"bm25_k1", o.confidence.bm25_k1},
          {"bm25_b", o.confidence.bm25_b},
          {"iterations", o.iterations},
          {"solver", AlsSolverName(o.solver)},
          {"cg_steps", o.cg_steps},
          {"seed", o.seed},
          {"init_scale", o.init_scale}};
}

Result<AlsOptions> AlsOptionsFromJson(const nlohmann::json& j) {
  AlsOptions o;
  try {
    o.factors = j.at("factors").get<int>();
    o.regularization = j.at("regularization").get<float>();
    o.reg_exponent = j.value("reg_exponent", 0.f);
    o.reg_offset = j.value("reg_offset", 1.f);
    HR_ASSIGN_OR_RETURN(o.confidence.kind, ParseConfidenceKind(j.value("confidence", std::string("linear"))));
    o.confidence.alpha = j.at("alpha").get<float>();
    o.confidence.eps = j.value("confidence_eps", o.confidence.eps);
    o.confidence.bm25_k1 = j.value("bm25_k1", o.confidence.bm25_k1);
    o.confidence.bm25_b = j.value("bm25_b", o.confidence.bm25_b);
    o.iterations = j.at("iterations").get<int>();
    HR_ASSIGN_OR_RETURN(o.solver, ParseAlsSolver(j.value("solver", std::string("cg"))));
    o.cg_steps = j.value("cg_steps", o.cg_steps);
    o.seed = j.value("seed", uint64_t{0});
    o.init_scale = j.value("init_scale", o.init_scale);
    o.Validate();
  } catch (const std::exception& e) {
    return Status::Corruption(std::string("ALS parameters in the manifest: ") + e.what());
  }
  return o;
}

}  // namespace hybridrec
