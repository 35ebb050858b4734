#include "ui/sweeps/sweep_draft.h"

#include <algorithm>
#include <cmath>

namespace reef::ui {

namespace {

using protocol::ParamType;

bool sweepable(const protocol::Param& p) {
  return p.type == ParamType::Int || p.type == ParamType::Float || p.type == ParamType::Bool ||
         p.type == ParamType::Choice;
}

// A range around `value` that the declaration allows: a tenth to ten times it (log) when it is
// positive, else the declared bounds.
void proposeRange(SweepDraftParameter& d) {
  const protocol::Param& p = *d.param;
  const double v = d.current.is_number() ? d.current.get<double>() : 0.0;
  const double lo = p.min.value_or(-1e9), hi = p.max.value_or(1e9);
  if (v > 0) {
    d.min = std::max(v / 10, p.minExclusive ? std::nextafter(lo, hi) : lo);
    d.max = std::min(v * 10, hi);
    d.log = d.min > 0;
  } else {
    d.min = std::max(lo, -1.0);
    d.max = std::min(hi, 1.0);
  }
  if (p.type == ParamType::Int) {
    d.min = std::max(std::ceil(d.min), std::ceil(lo));
    d.max = std::floor(d.max);
    d.log = d.log && d.min >= 1;
  }
}

void addSection(std::vector<SweepDraftParameter>& out, const std::string& section, const protocol::Section& params,
                const Json& spec) {
  for (const auto& p : params) {
    if (!sweepable(p)) continue;
    SweepDraftParameter d;
    d.key = section + "." + p.key;
    d.param = &p;
    d.current = spec.contains(section) && spec[section].contains(p.key) ? spec[section][p.key] : p.defaultValue;
    if (p.type == ParamType::Choice)
      for (const auto& c : p.choices) d.values.emplace_back(c);
    else if (p.type == ParamType::Bool)
      d.values = {Json(false), Json(true)};
    else
      proposeRange(d);
    out.push_back(std::move(d));
  }
}

}  // namespace

std::vector<SweepDraftParameter> sweepableParameters(const protocol::Catalog& catalog, const Json& spec) {
  // The optimizer first: what sweeps vary most.
  std::vector<SweepDraftParameter> out;
  if (const protocol::Section* optim = catalog.section("optim")) addSection(out, "optim", *optim, spec);
  const std::string collection = spec.value("/model/collection"_json_pointer, "");
  const std::string arch = spec.value("/model/arch"_json_pointer, "");
  if (const auto* model = catalog.model(collection, arch)) addSection(out, "model", model->params, spec);
  if (const auto* c = catalog.collection(collection)) addSection(out, "data", c->data, spec);
  for (const auto& [name, section] : catalog.sections)
    if (name != "resources" && name != "optim") addSection(out, name, section, spec);
  return out;
}

Json sweepDocument(const Json& spec, const std::vector<SweepDraftParameter>& parameters, const SweepDraftSettings& s) {
  Json base = spec;
  Json doc = {{"name", s.name},
              {"base", base},
              {"method", s.method},
              {"metric", {{"name", s.metric}, {"goal", s.goal}}},
              {"parameters", Json::object()},
              {"run_cap", s.runCap},
              {"max_concurrent", s.maxConcurrent},
              {"seed", s.seed}};
  for (const auto& d : parameters) {
    if (!d.vary) continue;
    const bool integer = d.param && d.param->type == ParamType::Int;
    if (!d.values.empty())
      doc["parameters"][d.key] = {{"values", d.values}};
    else if (integer)
      doc["parameters"][d.key] = {{"distribution", d.log ? "log_int_uniform" : "int_uniform"},
                                  {"min", static_cast<long long>(d.min)},
                                  {"max", static_cast<long long>(d.max)}};
    else
      doc["parameters"][d.key] = {{"distribution", d.log ? "log_uniform" : "uniform"}, {"min", d.min}, {"max", d.max}};
  }
  if (s.earlyStop != "none")
    doc["early_terminate"] = s.earlyStop == "asha" ? Json{{"type", "asha"}, {"eta", s.eta}, {"min_steps", s.minSteps}}
                                                   : Json{{"type", "median"}, {"min_steps", s.minSteps}};
  return doc;
}

}  // namespace reef::ui
