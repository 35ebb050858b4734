#pragma once
// Hyper-parameter schema: what a collection, a model or the trainer declares about each key it
// accepts. The same declaration drives spec validation, `reef catalog --json` and the studio's forms.
#include "backend/protocol/json.h"

#include <optional>
#include <string>
#include <vector>

namespace reef::protocol {

enum class ParamType { Int, Float, Bool, String, Choice };

const char* paramTypeName(ParamType type);

struct Param {
  std::string key;
  ParamType type = ParamType::String;
  Json defaultValue;
  std::optional<double> min;  // inclusive unless minExclusive
  std::optional<double> max;  // inclusive
  bool minExclusive = false;
  // An integer that must be odd (a kernel centred on each position); a special minimum (0: none)
  // is allowed as it is.
  bool odd = false;
  std::vector<std::string> choices;
  std::string description;
  // What the minimum means where it is not a quantity ("automatic", "off", "unset: max_epochs
  // decides"); forms show these words instead of the number.
  std::string special;
  // Rarely changed: forms fold it away unless it differs from its default.
  bool advanced = false;
  // What a string names, where forms can offer a choice: "run" (a run directory, or a checkpoint
  // folder in one). Empty: free text.
  std::string format;

  // Checks `value` against this declaration. On success returns std::nullopt and stores the value
  // converted to the declared type in `normalized`; otherwise returns what is allowed, in words.
  std::optional<std::string> check(const Json& value, Json& normalized) const;
  // "an integer from 1 to 1024", "one of sgd, adam, adamw", ...
  std::string allowed() const;
};

using Section = std::vector<Param>;

Param intParam(std::string key, long long def, std::optional<double> min, std::optional<double> max,
               std::string description);
Param floatParam(std::string key, double def, std::optional<double> min, std::optional<double> max,
                 std::string description, bool minExclusive = false);
Param boolParam(std::string key, bool def, std::string description);
Param stringParam(std::string key, std::string def, std::string description);
Param choiceParam(std::string key, std::string def, std::vector<std::string> choices, std::string description);

// The same declaration with a meaning for its minimum, or marked advanced.
Param withSpecial(Param param, std::string meaning);
Param advanced(Param param);
// The same integer, odd only.
Param oddOnly(Param param);
// A string that names a run (format "run").
Param runParam(std::string key, std::string description);

Json toJson(const Param& param);
Param paramFromJson(const Json& json);
Json toJson(const Section& section);
Section sectionFromJson(const Json& json);

const Param* findParam(const Section& section, const std::string& key);

}  // namespace reef::protocol
