// validateSweep: every parameter of a sweep against the catalog, before any trial starts.
#include "backend/protocol/spec.h"
#include "backend/sweep/sweep_spec.h"

#include <algorithm>

using reef::protocol::Param;
using reef::protocol::ParamType;
using reef::protocol::SpecError;
using reef::protocol::SpecIssue;

namespace reef::sweep {

namespace {

// The keys a sweep sets itself on every trial.
bool reservedKey(const std::string& key) {
  return key == "exp.name" || key == "exp.sweep" || key == "model.collection";
}

std::string joinKeys(const protocol::Section& section) {
  std::string out;
  for (const auto& p : section) out += (out.empty() ? "" : ", ") + p.key;
  return out;
}

// The declaration of `section.name` in the catalog, for the collection and the architectures the
// sweep can give the model.
const Param* lookup(const protocol::Catalog& catalog, const SweepSpec& s, const std::string& section,
                    const std::string& name, std::string& known) {
  const std::string collection = s.base.value("/model/collection"_json_pointer, "");
  if (section == "model") {
    std::vector<std::string> arches{s.base.value("/model/arch"_json_pointer, "")};
    if (const Dimension* archDim = s.space.find("model.arch"))
      for (const auto& v : archDim->values) arches.push_back(v.is_string() ? v.get<std::string>() : "");
    for (const auto& arch : arches)
      if (const auto* model = catalog.model(collection, arch)) {
        if (const Param* p = protocol::findParam(model->params, name)) return p;
        known = joinKeys(model->params);
      }
    return nullptr;
  }
  if (section == "data") {
    const auto* c = catalog.collection(collection);
    if (!c) return nullptr;
    known = joinKeys(c->data);
    return protocol::findParam(c->data, name);
  }
  const protocol::Section* shared = catalog.section(section);
  if (!shared) return nullptr;
  known = joinKeys(*shared);
  return protocol::findParam(*shared, name);
}

void checkValue(const Param& p, const Json& value, const std::string& key, std::vector<SpecIssue>& issues) {
  Json normalized;
  if (auto allowed = p.check(value, normalized)) issues.push_back({key, value.dump() + " is not allowed: " + *allowed});
}

void checkDimension(const Dimension& d, const Param& p, std::vector<SpecIssue>& issues) {
  const std::string key = "parameters." + d.key;
  if (d.distribution == Distribution::Values) {
    for (const auto& v : d.values) checkValue(p, v, key, issues);
    return;
  }
  if (p.type != ParamType::Int && p.type != ParamType::Float) {
    issues.push_back({key, d.key + " is " + p.allowed() + ": list its values instead of a range"});
    return;
  }
  if (p.type == ParamType::Int && !d.integer() && !(d.q && std::floor(*d.q) == *d.q && std::floor(d.min) == d.min)) {
    issues.push_back({key, d.key + " takes whole numbers: use int_uniform (or log_int_uniform)"});
    return;
  }
  checkValue(p, Json(d.min), key + ".min", issues);
  checkValue(p, Json(d.max), key + ".max", issues);
}

void checkConditions(const SweepSpec& s, std::vector<SpecIssue>& issues) {
  for (const auto& d : s.space.dimensions())
    for (const auto& c : d.when) {
      const Dimension* parent = s.space.find(c.key);
      const auto possible = parent ? parent->enumerate() : std::nullopt;
      if (!possible) continue;
      for (const auto& v : c.values)
        if (std::find(possible->begin(), possible->end(), v) == possible->end())
          issues.push_back({"parameters." + d.key + ".when",
                            c.key + " never takes " + v.dump() + ", so this condition never holds"});
    }
}

}  // namespace

void validateSweep(const SweepSpec& s, const protocol::Catalog& catalog) {
  std::vector<SpecIssue> issues;
  try {
    protocol::resolveSpec(s.base, catalog, s.baseSource);
  } catch (const SpecError& e) {
    for (const auto& i : e.issues()) issues.push_back({"base" + (i.key.empty() ? "" : "." + i.key), i.message});
  }
  for (const auto& d : s.space.dimensions()) {
    const std::string key = "parameters." + d.key;
    const auto dot = d.key.find('.');
    if (reservedKey(d.key)) {
      issues.push_back({key, "the sweep sets " + d.key + " itself; vary the base spec's other keys"});
      continue;
    }
    if (d.key == "model.arch") continue;  // checked by the base's resolution of each architecture below
    std::string known;
    const Param* p =
        dot == std::string::npos ? nullptr : lookup(catalog, s, d.key.substr(0, dot), d.key.substr(dot + 1), known);
    if (!p) {
      issues.push_back({key, "not a spec key" + (known.empty() ? std::string(": write section.key, e.g. optim.lr")
                                                               : " (its section has " + known + ")")});
      continue;
    }
    checkDimension(d, *p, issues);
  }
  if (const Dimension* arch = s.space.find("model.arch"))
    for (const auto& v : arch->values) {
      if (!v.is_string() || !catalog.model(s.base.value("/model/collection"_json_pointer, ""), v.get<std::string>()))
        issues.push_back({"parameters.model.arch", v.dump() + " is not an architecture of the base's collection"});
    }
  checkConditions(s, issues);
  if (!issues.empty()) throw SpecError(s.source, issues);
}

}  // namespace reef::sweep
