#include "backend/sweep/sweep_spec.h"

#include "backend/protocol/spec.h"
#include "backend/protocol/yaml_json.h"

#include <algorithm>
#include <cmath>
#include <set>

namespace fs = std::filesystem;
using reef::protocol::SpecError;
using reef::protocol::SpecIssue;

namespace reef::sweep {

namespace {

struct MethodName {
  Method method;
  const char* name;
};
constexpr MethodName kMethods[] = {
    {Method::Grid, "grid"}, {Method::Random, "random"}, {Method::QuasiRandom, "quasirandom"}, {Method::Tpe, "tpe"}};

const std::set<std::string> kTopKeys = {"name",       "description",     "base",    "method",         "metric",
                                        "parameters", "early_terminate", "run_cap", "max_concurrent", "seed",
                                        "tpe",        "max_failures"};

// Collects problems while parsing, so that one message lists them all.
struct Issues {
  std::vector<SpecIssue> list;
  void add(std::string key, std::string message) { list.push_back({std::move(key), std::move(message)}); }
};

std::optional<double> number(const Json& node, const char* field, const std::string& key, Issues& issues) {
  if (!node.contains(field)) return std::nullopt;
  if (!node[field].is_number()) {
    issues.add(key + "." + field, "expected a number, got " + node[field].dump());
    return std::nullopt;
  }
  return node[field].get<double>();
}

Distribution distributionFromName(const std::string& name, bool integers, bool& known) {
  known = true;
  if (name.empty()) return integers ? Distribution::IntUniform : Distribution::Uniform;
  if (name == "uniform" || name == "q_uniform") return Distribution::Uniform;
  if (name == "log_uniform" || name == "log_uniform_values" || name == "q_log_uniform_values")
    return Distribution::LogUniform;
  if (name == "int_uniform") return Distribution::IntUniform;
  if (name == "log_int_uniform") return Distribution::LogIntUniform;
  known = false;
  return Distribution::Uniform;
}

std::vector<Condition> parseConditions(const Json& node, const std::string& key, Issues& issues) {
  std::vector<Condition> out;
  if (!node.is_object()) {
    issues.add(key + ".when", "expected a mapping of parameter to value(s), e.g. when: {optim.name: sgd}");
    return out;
  }
  for (const auto& [other, values] : node.items())
    out.push_back({other, values.is_array() ? values.get<std::vector<Json>>() : std::vector<Json>{values}});
  return out;
}

void parseRange(Dimension& d, const Json& node, const std::string& key, Issues& issues) {
  const auto lo = number(node, "min", key, issues), hi = number(node, "max", key, issues);
  if (!lo || !hi) {
    if (!node.contains("min") || !node.contains("max")) issues.add(key, "a range needs both min and max");
    return;
  }
  const bool integers = node["min"].is_number_integer() && node["max"].is_number_integer();
  bool known = true;
  const std::string name = node.value("distribution", "");
  d.distribution = distributionFromName(name, integers, known);
  if (!known)
    issues.add(key + ".distribution", "unknown distribution '" + name +
                                          "': use uniform, log_uniform, int_uniform, log_int_uniform or q_uniform");
  d.min = *lo;
  d.max = *hi;
  d.q = number(node, "q", key, issues);
  for (const auto& [field, value] : {std::pair{"min", d.min}, {"max", d.max}, {"q", d.q.value_or(1.0)}})
    if (!std::isfinite(value)) issues.add(key + "." + field, "must be a finite number (.inf and .nan are not)");
  if (d.min >= d.max)
    issues.add(key, "min (" + node["min"].dump() + ") must be below max (" + node["max"].dump() + ")");
  if (d.logScale() && d.min <= 0)
    issues.add(key + ".min", "a log scale needs min > 0 (got " + node["min"].dump() + ")");
  if (d.q && *d.q <= 0) issues.add(key + ".q", "the step q must be above 0");
  if (d.integer() && d.logScale() && d.min < 1) issues.add(key + ".min", "log_int_uniform needs min >= 1");
}

Dimension parseDimension(const std::string& specKey, const Json& node, Issues& issues) {
  const std::string key = "parameters." + specKey;
  Dimension d;
  d.key = specKey;
  if (!node.is_object()) {  // a bare list or value
    d.values = node.is_array() ? node.get<std::vector<Json>>() : std::vector<Json>{node};
  } else if (node.contains("values") || node.contains("value")) {
    const Json& v = node.contains("values") ? node["values"] : node["value"];
    d.values = v.is_array() ? v.get<std::vector<Json>>() : std::vector<Json>{v};
    if (node.contains("values") && !v.is_array()) issues.add(key + ".values", "expected a list, e.g. values: [16, 32]");
  } else {
    parseRange(d, node, key, issues);
  }
  if (d.distribution == Distribution::Values && d.values.empty()) issues.add(key, "needs at least one value");
  if (node.is_object()) {
    for (const auto& [field, _] : node.items())
      if (!std::set<std::string>{"values", "value", "distribution", "min", "max", "q", "when"}.count(field))
        issues.add(key + "." + field, "unknown field: use values, value, distribution, min, max, q or when");
    if (node.contains("when")) d.when = parseConditions(node["when"], key, issues);
  }
  return d;
}

void parseMetric(SweepSpec& s, const Json& node, Issues& issues) {
  if (node.is_string()) {
    s.metric.name = node.get<std::string>();
  } else if (node.is_object() && node.contains("name") && node["name"].is_string()) {
    s.metric.name = node["name"].get<std::string>();
    const std::string goal = node.value("goal", "minimize");
    if (goal != "minimize" && goal != "maximize")
      issues.add("metric.goal", "expected minimize or maximize, got '" + goal + "'");
    s.metric.maximize = goal == "maximize";
  } else {
    issues.add("metric", "expected {name: val/loss, goal: minimize}");
  }
}

void parseEarlyTerminate(SweepSpec& s, const Json& node, Issues& issues) {
  if (!node.is_object()) return issues.add("early_terminate", "expected e.g. {type: asha, eta: 3, min_steps: 100}");
  const std::string type = node.value("type", "");
  EarlyTerminate& e = s.early;
  if (type == "asha" || type == "hyperband")
    e.type = EarlyTerminate::Type::Asha;
  else if (type == "median")
    e.type = EarlyTerminate::Type::Median;
  else if (type != "none")
    issues.add("early_terminate.type", "expected asha, median or none, got '" + type + "'");
  for (const auto& [field, value] : node.items()) {
    const std::string key = "early_terminate." + field;
    if (field == "type") continue;
    // Bounded, as steps become int64: 1e309 (infinity) or 1e30 has no integer.
    if (!value.is_number() || !(value.get<double>() >= 0 && value.get<double>() <= 1e15)) {
      issues.add(key, "expected a number from 0 to 1e15, got " + value.dump());
      continue;
    }
    const double v = value.get<double>();
    if (field == "eta")
      e.eta = v;
    else if (field == "min_steps" || field == "min_iter")
      e.minSteps = static_cast<int64_t>(v);
    else if (field == "min_epochs")
      e.minEpochs = v;
    else if (field == "max" || field == "max_steps" || field == "max_iter")
      e.maxSteps = static_cast<int64_t>(v);
    else if (field == "startup_trials")
      e.startupTrials = static_cast<int>(v);
    else
      issues.add(key, "unknown field: use type, eta, min_steps, min_epochs, max_steps or startup_trials");
  }
  if (e.type == EarlyTerminate::Type::Asha && e.eta < 2) issues.add("early_terminate.eta", "eta must be at least 2");
  if (e.type != EarlyTerminate::Type::None && e.minSteps == 0 && e.minEpochs == 0)
    issues.add("early_terminate", "say when the first decision is made: min_steps or min_epochs");
}

// `doc[field]`, reported as `prefix + field`.
int positiveInt(const Json& doc, const char* field, int fallback, Issues& issues, const std::string& prefix = "") {
  if (!doc.contains(field)) return fallback;
  if (!doc[field].is_number_integer() || doc[field].get<int64_t>() < 1 || doc[field].get<int64_t>() > 1000000) {
    issues.add(prefix + field, "expected a whole number from 1 to 1000000, got " + doc[field].dump());
    return fallback;
  }
  return doc[field].get<int>();
}

constexpr int kMaxGrid = 100000;

// Every dimension enumerable, and not so many combinations that listing them would not end.
void checkGrid(const SearchSpace& space, Issues& issues) {
  double combinations = 1;
  for (const auto& d : space.dimensions()) {
    const auto values = d.enumerate();
    if (!values)
      issues.add("parameters." + d.key, "a grid needs values, an integer range or a step q here, with at most " +
                                            std::to_string(Dimension::kMaxEnumerated) + " values");
    else
      combinations *= static_cast<double>(std::max<size_t>(1, values->size()));
  }
  if (combinations > kMaxGrid)
    issues.add("parameters", "the grid has more than " + std::to_string(kMaxGrid) +
                                 " combinations: use fewer values, or method: random with a run_cap");
}

void parseTpe(SweepSpec& s, const Json& tpe, Issues& issues) {
  if (!tpe.is_object()) return issues.add("tpe", "expected a mapping: {startup_trials: 10, multivariate: true}");
  for (const auto& [field, v] : tpe.items()) {
    if (field == "startup_trials")
      s.startupTrials = positiveInt(tpe, "startup_trials", 10, issues, "tpe.");
    else if (field == "multivariate" && v.is_boolean())
      s.multivariate = v.get<bool>();
    else if (field == "multivariate")
      issues.add("tpe.multivariate", "expected true or false, got " + v.dump());
    else
      issues.add("tpe." + field, "unknown field: use startup_trials or multivariate");
  }
}

void parseBase(SweepSpec& s, const Json& doc, const fs::path& baseDir, Issues& issues) {
  if (!doc.contains("base"))
    return issues.add("base", "missing: the experiment to vary, a spec file or an inline spec");
  const Json& base = doc["base"];
  if (base.is_object()) {
    s.base = base;
    s.baseSource = "base (inline)";
  } else if (base.is_string()) {
    const fs::path path = fs::path(base.get<std::string>()).is_absolute() ? fs::path(base.get<std::string>())
                                                                          : baseDir / base.get<std::string>();
    try {
      s.base = protocol::loadSpecFile(path);
      s.baseSource = path.string();
    } catch (const std::exception& e) {
      issues.add("base", e.what());
    }
  } else {
    issues.add("base", "expected a spec file path or an inline spec");
  }
}

}  // namespace

const char* methodName(Method method) {
  for (const auto& m : kMethods)
    if (m.method == method) return m.name;
  return "random";
}

SweepSpec parseSweep(const Json& doc, const std::string& source, const fs::path& baseDir) {
  if (!doc.is_object())
    throw SpecError(source, {{"", "a sweep file is a mapping: base, method, metric, parameters, ..."}});
  Issues issues;
  SweepSpec s;
  s.source = source;
  for (const auto& [key, _] : doc.items())
    if (!kTopKeys.count(key))
      issues.add(key,
                 "unknown key: a sweep has name, base, method, metric, parameters, early_terminate, run_cap, "
                 "max_concurrent, seed, tpe, max_failures");
  s.name = doc.value("name", "");
  parseBase(s, doc, baseDir, issues);
  const std::string method = doc.value("method", "random");
  bool knownMethod = false;
  for (const auto& m : kMethods)
    if (method == m.name) s.method = m.method, knownMethod = true;
  if (method == "sobol" || method == "bayes")
    issues.add("method", "'" + method + "' is not offered: use quasirandom or tpe");
  else if (!knownMethod)
    issues.add("method", "expected grid, random, quasirandom or tpe, got '" + method + "'");
  if (doc.contains("metric")) parseMetric(s, doc["metric"], issues);
  std::vector<Dimension> dims;
  if (!doc.contains("parameters") || !doc["parameters"].is_object() || doc["parameters"].empty())
    issues.add("parameters", "missing: at least one spec key to vary, e.g. optim.lr: {min: 1.0e-4, max: 0.1}");
  else
    for (const auto& [key, node] : doc["parameters"].items()) dims.push_back(parseDimension(key, node, issues));
  if (doc.contains("early_terminate")) parseEarlyTerminate(s, doc["early_terminate"], issues);
  s.runCap = positiveInt(doc, "run_cap", 0, issues);
  s.maxConcurrent = positiveInt(doc, "max_concurrent", 1, issues);
  s.maxFailures = positiveInt(doc, "max_failures", 5, issues);
  if (doc.contains("seed") && (!doc["seed"].is_number_integer() || doc["seed"].get<int64_t>() < 0))
    issues.add("seed", "expected a whole number >= 0");
  else
    s.seed = doc.value("seed", uint64_t{0});
  if (doc.contains("tpe")) parseTpe(s, doc["tpe"], issues);
  try {
    s.space = SearchSpace(dims);
  } catch (const std::invalid_argument& e) {
    issues.add("parameters", e.what());
  }
  if (s.method == Method::Grid) checkGrid(s.space, issues);
  if (s.method == Method::Grid && issues.list.empty()) {
    const int size = static_cast<int>(s.space.grid().size());
    s.runCap = s.runCap == 0 ? size : std::min(s.runCap, size);
  }
  if (s.method != Method::Grid && s.runCap == 0) issues.add("run_cap", "missing: how many trials to run");
  if (!issues.list.empty()) throw SpecError(source, issues.list);
  return s;
}

namespace {

Json dimensionToJson(const Dimension& d) {
  Json node = Json::object();
  if (d.distribution == Distribution::Values) {
    node["values"] = d.values;
  } else {
    node["distribution"] = distributionName(d.distribution);
    node["min"] = d.min;
    node["max"] = d.max;
    if (d.q) node["q"] = *d.q;
  }
  if (!d.when.empty()) {
    Json when = Json::object();
    for (const auto& c : d.when) when[c.key] = c.values;
    node["when"] = when;
  }
  return node;
}

const char* earlyTypeName(EarlyTerminate::Type type) {
  return type == EarlyTerminate::Type::Asha ? "asha" : type == EarlyTerminate::Type::Median ? "median" : "none";
}

}  // namespace

Json SweepSpec::toJson() const {
  Json parameters = Json::object();
  for (const auto& d : space.dimensions()) parameters[d.key] = dimensionToJson(d);
  Json doc = {{"name", name},
              {"base", base},
              {"method", methodName(method)},
              {"metric", {{"name", metric.name}, {"goal", metric.maximize ? "maximize" : "minimize"}}},
              {"parameters", parameters},
              {"run_cap", runCap},
              {"max_concurrent", maxConcurrent},
              {"seed", seed},
              {"tpe", {{"startup_trials", startupTrials}, {"multivariate", multivariate}}},
              {"max_failures", maxFailures}};
  if (early.type != EarlyTerminate::Type::None) {
    Json e = {{"type", earlyTypeName(early.type)}, {"eta", early.eta}, {"startup_trials", early.startupTrials}};
    if (early.minSteps > 0) e["min_steps"] = early.minSteps;
    if (early.minEpochs > 0) e["min_epochs"] = early.minEpochs;
    if (early.maxSteps > 0) e["max_steps"] = early.maxSteps;
    doc["early_terminate"] = e;
  }
  return doc;
}

SweepSpec SweepSpec::fromJson(const Json& json, const std::string& source) {
  SweepSpec s = parseSweep(json, source, {});
  s.baseSource = source;
  return s;
}

Json SweepSpec::trialSpec(const Assignment& params) const {
  Json spec = base;
  for (const auto& [key, value] : params.items()) {
    Json* node = &spec;
    size_t start = 0;
    for (size_t dot = key.find('.'); dot != std::string::npos; start = dot + 1, dot = key.find('.', start)) {
      Json& child = (*node)[key.substr(start, dot - start)];
      if (!child.is_object()) child = Json::object();
      node = &child;
    }
    (*node)[key.substr(start)] = value;
  }
  return spec;
}

SweepSpec loadSweepFile(const fs::path& path) {
  const Json doc = protocol::loadSpecFile(path);
  return parseSweep(doc, path.string(), path.parent_path());
}

}  // namespace reef::sweep
