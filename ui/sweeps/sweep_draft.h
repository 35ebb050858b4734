#pragma once
// A sweep designed in the studio: which keys of a spec vary and how, turned into the sweep file
// `reef sweep` runs. The keys offered are the spec's numbers, booleans and choices, as the
// catalog declares them.
#include "backend/protocol/catalog.h"
#include "backend/protocol/json.h"

#include <string>
#include <vector>

namespace reef::ui {

struct SweepDraftParameter {
  std::string key;  // section.key
  const protocol::Param* param = nullptr;
  Json current;  // the spec's value
  bool vary = false;
  // A range (numbers): min, max, on a log scale; or the values to try (choices, booleans, or a
  // number's list when `values` is not empty).
  double min = 0, max = 0;
  bool log = false;
  std::vector<Json> values;
};

struct SweepDraftSettings {
  std::string name, method = "tpe", metric = "val/loss", goal = "minimize";
  int runCap = 20, maxConcurrent = 2;
  std::string earlyStop = "asha";  // asha | median | none
  int minSteps = 100;
  double eta = 3;
  int seed = 0;
};

// The parameters a sweep can vary for `spec` (resolved): every Int, Float, Bool and Choice key of
// its sections and of its collection's data and model, each proposed around its current value
// (numbers from a tenth to ten times it, on a log scale when positive; choices all listed).
std::vector<SweepDraftParameter> sweepableParameters(const protocol::Catalog& catalog, const Json& spec);

// The sweep file for `spec` with the parameters that vary.
Json sweepDocument(const Json& spec, const std::vector<SweepDraftParameter>& parameters,
                   const SweepDraftSettings& settings);

}  // namespace reef::ui
