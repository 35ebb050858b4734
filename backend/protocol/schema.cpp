#include "backend/protocol/schema.h"

#include "backend/protocol/number_format.h"

#include <cmath>
#include <stdexcept>

namespace reef::protocol {

const char* paramTypeName(ParamType type) {
  switch (type) {
    case ParamType::Int:
      return "int";
    case ParamType::Float:
      return "float";
    case ParamType::Bool:
      return "bool";
    case ParamType::String:
      return "string";
    case ParamType::Choice:
      return "choice";
  }
  return "?";
}

static ParamType paramTypeFromName(const std::string& name) {
  for (ParamType t : {ParamType::Int, ParamType::Float, ParamType::Bool, ParamType::String, ParamType::Choice})
    if (name == paramTypeName(t)) return t;
  throw std::runtime_error("catalog: unknown parameter type '" + name + "'");
}

static std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) out += (i ? ", " : "") + items[i];
  return out;
}

std::string Param::allowed() const {
  auto range = [&]() -> std::string {
    if (min && max && minExclusive) return " greater than " + formatNumber(*min) + " and at most " + formatNumber(*max);
    if (min && max) return " from " + formatNumber(*min) + " to " + formatNumber(*max);
    if (min) return std::string(minExclusive ? " greater than " : " of at least ") + formatNumber(*min);
    if (max) return " of at most " + formatNumber(*max);
    return "";
  };
  switch (type) {
    case ParamType::Int:
      return std::string(odd ? "an odd integer" : "an integer") + range() +
             (odd && !special.empty() && min ? " (or " + formatNumber(*min) + ": " + special + ")" : "");
    case ParamType::Float:
      return "a number" + range();
    case ParamType::Bool:
      return "true or false";
    case ParamType::String:
      return "a string";
    case ParamType::Choice:
      return "one of " + joined(choices);
  }
  return "";
}

std::optional<std::string> Param::check(const Json& value, Json& normalized) const {
  auto inRange = [&](double v) {
    if (std::isnan(v)) return false;
    if (min && (minExclusive ? v <= *min : v < *min)) return false;
    if (max && v > *max) return false;
    return true;
  };
  switch (type) {
    case ParamType::Int: {
      long long v = 0;
      if (value.is_number_integer()) {
        v = value.get<long long>();
      } else if (value.is_number_float() && std::isfinite(value.get<double>()) &&
                 std::floor(value.get<double>()) == value.get<double>() && std::fabs(value.get<double>()) < 9e15) {
        v = static_cast<long long>(value.get<double>());
      } else {
        return allowed();
      }
      if (!inRange(static_cast<double>(v))) return allowed();
      const bool meansSpecial = !special.empty() && min && static_cast<double>(v) == *min;  // e.g. 0: none
      if (odd && v % 2 == 0 && !meansSpecial) return allowed();
      normalized = v;
      return std::nullopt;
    }
    case ParamType::Float: {
      if (!value.is_number()) return allowed();
      double v = value.get<double>();
      if (!inRange(v)) return allowed();
      normalized = v;
      return std::nullopt;
    }
    case ParamType::Bool:
      if (!value.is_boolean()) return allowed();
      normalized = value;
      return std::nullopt;
    case ParamType::String:
      if (!value.is_string()) return allowed();
      normalized = value;
      return std::nullopt;
    case ParamType::Choice:
      if (value.is_string())
        for (const auto& c : choices)
          if (c == value.get<std::string>()) {
            normalized = value;
            return std::nullopt;
          }
      return allowed();
  }
  return allowed();
}

static Param make(std::string key, ParamType type, Json def, std::string description) {
  Param p;
  p.key = std::move(key);
  p.type = type;
  p.defaultValue = std::move(def);
  p.description = std::move(description);
  return p;
}

Param intParam(std::string key, long long def, std::optional<double> min, std::optional<double> max,
               std::string description) {
  Param p = make(std::move(key), ParamType::Int, def, std::move(description));
  p.min = min;
  p.max = max;
  return p;
}

Param floatParam(std::string key, double def, std::optional<double> min, std::optional<double> max,
                 std::string description, bool minExclusive) {
  Param p = make(std::move(key), ParamType::Float, def, std::move(description));
  p.min = min;
  p.max = max;
  p.minExclusive = minExclusive;
  return p;
}

Param boolParam(std::string key, bool def, std::string description) {
  return make(std::move(key), ParamType::Bool, def, std::move(description));
}

Param stringParam(std::string key, std::string def, std::string description) {
  return make(std::move(key), ParamType::String, std::move(def), std::move(description));
}

Param choiceParam(std::string key, std::string def, std::vector<std::string> choices, std::string description) {
  Param p = make(std::move(key), ParamType::Choice, std::move(def), std::move(description));
  p.choices = std::move(choices);
  return p;
}

Param withSpecial(Param param, std::string meaning) {
  param.special = std::move(meaning);
  return param;
}

Param advanced(Param param) {
  param.advanced = true;
  return param;
}

Param oddOnly(Param param) {
  param.odd = true;
  return param;
}

Param runParam(std::string key, std::string description) {
  Param p = stringParam(std::move(key), "", std::move(description));
  p.format = "run";
  return p;
}

Json toJson(const Param& p) {
  Json j;
  j["key"] = p.key;
  j["type"] = paramTypeName(p.type);
  j["default"] = p.defaultValue;
  if (p.min) j["min"] = *p.min;
  if (p.max) j["max"] = *p.max;
  if (p.minExclusive) j["min_exclusive"] = true;
  if (p.odd) j["odd"] = true;
  if (!p.choices.empty()) j["choices"] = p.choices;
  j["description"] = p.description;
  if (!p.special.empty()) j["special"] = p.special;
  if (p.advanced) j["advanced"] = true;
  if (!p.format.empty()) j["format"] = p.format;
  return j;
}

Param paramFromJson(const Json& j) {
  Param p;
  p.key = j.at("key").get<std::string>();
  p.type = paramTypeFromName(j.at("type").get<std::string>());
  p.defaultValue = j.value("default", Json());
  if (j.contains("min")) p.min = j["min"].get<double>();
  if (j.contains("max")) p.max = j["max"].get<double>();
  p.minExclusive = j.value("min_exclusive", false);
  p.odd = j.value("odd", false);
  if (j.contains("choices")) p.choices = j["choices"].get<std::vector<std::string>>();
  p.description = j.value("description", "");
  p.special = j.value("special", "");
  p.advanced = j.value("advanced", false);
  p.format = j.value("format", "");
  return p;
}

Json toJson(const Section& section) {
  Json arr = Json::array();
  for (const auto& p : section) arr.push_back(toJson(p));
  return arr;
}

Section sectionFromJson(const Json& json) {
  Section s;
  for (const auto& j : json) s.push_back(paramFromJson(j));
  return s;
}

const Param* findParam(const Section& section, const std::string& key) {
  for (const auto& p : section)
    if (p.key == key) return &p;
  return nullptr;
}

}  // namespace reef::protocol
