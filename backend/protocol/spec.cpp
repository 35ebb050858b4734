#include "backend/protocol/spec.h"

#include "backend/protocol/utf8.h"
#include "backend/protocol/yaml_json.h"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <sstream>

namespace reef::protocol {

static std::string describe(const std::string& source, const std::vector<SpecIssue>& issues) {
  std::string text = source + ": " + std::to_string(issues.size()) + (issues.size() == 1 ? " problem" : " problems");
  for (const auto& i : issues) text += "\n  " + (i.key.empty() ? "" : i.key + ": ") + i.message;
  return text;
}

SpecError::SpecError(std::string source, std::vector<SpecIssue> issues)
    : std::runtime_error(describe(source, issues)), source_(std::move(source)), issues_(std::move(issues)) {}

Json loadSpecFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    throw std::runtime_error("cannot read spec '" + path.string() +
                             "': check the path (example specs are in resources/examples/)");
  std::stringstream text;
  text << in.rdbuf();
  Json raw = parseYaml(text.str(), path.string());
  if (raw.is_null()) raw = Json::object();
  return raw;
}

void applyOverride(Json& raw, const std::string& assignment) {
  if (firstInvalidUtf8(assignment))
    throw SpecError("--set", {{validUtf8(assignment), "not UTF-8 text: write the key and value in UTF-8"}});
  const auto eq = assignment.find('=');
  if (eq == std::string::npos || eq == 0 || eq + 1 == assignment.size())
    throw SpecError("--set", {{assignment, "expected section.key=value, e.g. optim.lr=0.001"}});
  const std::string path = assignment.substr(0, eq);
  std::vector<std::string> parts;
  std::stringstream ss(path);
  for (std::string part; std::getline(ss, part, '.');) parts.push_back(part);
  if (parts.size() < 2 || std::any_of(parts.begin(), parts.end(), [](auto& p) { return p.empty(); }))
    throw SpecError("--set", {{path, "expected section.key=value, e.g. optim.lr=0.001"}});
  if (!raw.is_object()) raw = Json::object();
  Json* node = &raw;
  for (size_t i = 0; i + 1 < parts.size(); ++i) {
    Json& child = (*node)[parts[i]];
    if (!child.is_object()) child = Json::object();
    node = &child;
  }
  (*node)[parts.back()] = parseYaml(assignment.substr(eq + 1), "--set " + path);
}

static size_t editDistance(const std::string& a, const std::string& b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diag = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] != b[j - 1])});
      diag = up;
    }
  }
  return row[b.size()];
}

static std::string unknownKeyMessage(const std::string& key, const std::vector<std::string>& known) {
  std::string best;
  size_t bestDistance = 3;
  for (const auto& k : known) {
    size_t d = editDistance(key, k);
    if (d < bestDistance) {
      bestDistance = d;
      best = k;
    }
  }
  std::string msg = "unknown key";
  if (!best.empty()) msg += " (did you mean '" + best + "'?)";
  msg += "; known keys:";
  for (size_t i = 0; i < known.size(); ++i) msg += (i ? ", " : " ") + known[i];
  return msg;
}

static std::string shortText(const Json& v) {
  std::string s = v.dump();
  return s.size() > 60 ? s.substr(0, 57) + "..." : s;
}

// Resolves one section: defaults for missing keys, checks for present ones, in schema order.
static Json resolveSection(const std::string& name, const Json& given, const Section& schema,
                           const std::vector<std::string>& extraKeys, std::vector<SpecIssue>& issues) {
  Json out = Json::object();
  if (!given.is_null() && !given.is_object()) {
    issues.push_back({name, "must be a mapping of keys to values, got " + shortText(given)});
    return out;
  }
  std::vector<std::string> known = extraKeys;
  for (const auto& p : schema) known.push_back(p.key);
  if (given.is_object())
    for (const auto& [key, value] : given.items())
      if (!findParam(schema, key) && std::find(extraKeys.begin(), extraKeys.end(), key) == extraKeys.end())
        issues.push_back({name + "." + key, unknownKeyMessage(key, known)});
  for (const auto& p : schema) {
    if (!given.is_object() || !given.contains(p.key) || given[p.key].is_null()) {
      out[p.key] = p.defaultValue;
      continue;
    }
    Json normalized;
    if (auto problem = p.check(given[p.key], normalized))
      issues.push_back({name + "." + p.key, shortText(given[p.key]) + " is not allowed: expected " + *problem});
    else
      out[p.key] = normalized;
  }
  return out;
}

Json resolveSpec(const Json& raw, const Catalog& catalog, const std::string& source) {
  std::vector<SpecIssue> issues;
  if (!raw.is_object()) throw SpecError(source, {{"", "the spec must be a YAML mapping of sections"}});
  // The sections: model and data, then the shared ones the catalog declares (trainer, optim, ...).
  std::vector<std::string> sections = {"model", "data"};
  for (const auto& [name, section] : catalog.sections) sections.push_back(name);
  std::string sectionList;
  for (size_t i = 0; i < sections.size(); ++i) sectionList += (i ? ", " : "") + sections[i];
  for (const auto& [key, value] : raw.items())
    if (std::find(sections.begin(), sections.end(), key) == sections.end())
      issues.push_back({key, "unknown section; a spec has the sections " + sectionList});

  const Json model = raw.value("model", Json::object());
  std::vector<std::string> collections;
  for (const auto& c : catalog.collections) collections.push_back(c.name);
  auto listed = [](const std::vector<std::string>& v) {
    std::string s;
    for (size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + v[i];
    return s;
  };

  const CollectionInfo* collection = nullptr;
  const ModelInfo* modelInfo = nullptr;
  if (!model.is_object() || !model.contains("collection") || !model["collection"].is_string()) {
    issues.push_back({"model.collection", "missing: name the collection, one of " + listed(collections)});
  } else if (!(collection = catalog.collection(model["collection"].get<std::string>()))) {
    issues.push_back({"model.collection",
                      shortText(model["collection"]) + " is not a collection: expected one of " + listed(collections)});
  }
  if (collection) {
    std::vector<std::string> archs;
    for (const auto& m : collection->models) archs.push_back(m.arch);
    if (!model.contains("arch") || !model["arch"].is_string())
      issues.push_back({"model.arch", "missing: name the architecture, one of " + listed(archs)});
    else if (!(modelInfo = catalog.model(collection->name, model["arch"].get<std::string>())))
      issues.push_back({"model.arch", shortText(model["arch"]) + " is not a " + collection->name +
                                          " model: expected one of " + listed(archs)});
  }

  Json resolved = Json::object();
  if (modelInfo) {
    Json m = {{"collection", collection->name}, {"arch", modelInfo->arch}};
    m.update(resolveSection("model", model, modelInfo->params, {"collection", "arch"}, issues));
    resolved["model"] = m;
    resolved["data"] = resolveSection("data", raw.value("data", Json::object()), collection->data, {}, issues);
  }
  for (const auto& [name, schema] : catalog.sections)
    resolved[name] = resolveSection(name, raw.value(name, Json::object()), schema, {}, issues);

  if (!issues.empty()) throw SpecError(source, std::move(issues));
  return resolved;
}

std::string specHash(const Json& resolved) {
  const std::string text = resolved.dump();
  uint64_t h = 14695981039346656037ull;
  for (unsigned char c : text) {
    h ^= c;
    h *= 1099511628211ull;
  }
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

}  // namespace reef::protocol
