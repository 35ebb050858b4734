#include "backend/protocol/yaml_json.h"

#include "backend/protocol/number_format.h"
#include "backend/protocol/utf8.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>

namespace reef::protocol {

namespace {

// Digits from `i`; returns how many.
size_t digits(const std::string& s, size_t& i) {
  const size_t from = i;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
  return i - from;
}

// [-+]?[0-9]+ (integer), or [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)? (number). By hand:
// std::regex recurses per character and overflows the stack on long scalars.
bool isInteger(const std::string& s) {
  size_t i = s[0] == '-' || s[0] == '+';
  return digits(s, i) > 0 && i == s.size();
}

bool isNumber(const std::string& s) {
  size_t i = s[0] == '-' || s[0] == '+';
  size_t mantissa = digits(s, i);
  if (i < s.size() && s[i] == '.') {
    ++i;
    mantissa += digits(s, i);
  }
  if (mantissa == 0) return false;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '-' || s[i] == '+')) ++i;
    if (digits(s, i) == 0) return false;
  }
  return i == s.size();
}

}  // namespace

Json parseYamlScalar(const std::string& s) {
  if (s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL") return nullptr;
  if (s == "true" || s == "True" || s == "TRUE") return true;
  if (s == "false" || s == "False" || s == "FALSE") return false;
  if (isInteger(s)) {
    errno = 0;
    long long v = std::strtoll(s.c_str(), nullptr, 10);
    if (errno != ERANGE) return v;
  }
  if (isNumber(s)) return std::strtod(s.c_str(), nullptr);
  if (s == ".inf" || s == ".Inf" || s == "+.inf") return std::numeric_limits<double>::infinity();
  if (s == "-.inf" || s == "-.Inf") return -std::numeric_limits<double>::infinity();
  if (s == ".nan" || s == ".NaN") return std::numeric_limits<double>::quiet_NaN();
  return s;
}

static std::string where(const std::string& source, const YAML::Mark& mark) {
  return source + ":" + std::to_string(mark.line + 1) + ":" + std::to_string(mark.column + 1);
}

static Json convert(const YAML::Node& node, const std::string& source) {
  switch (node.Type()) {
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      return nullptr;
    case YAML::NodeType::Scalar:
      // yaml-cpp can decode odd input (a NUL byte in a plain scalar) into bytes that are not UTF-8.
      if (firstInvalidUtf8(node.Scalar()))
        throw std::runtime_error(where(source, node.Mark()) + ": this value is not UTF-8 text");
      // yaml-cpp tags quoted scalars "!" and plain ones "?".
      if (node.Tag() == "!") return node.Scalar();
      return parseYamlScalar(node.Scalar());
    case YAML::NodeType::Sequence: {
      Json arr = Json::array();
      for (const auto& item : node) arr.push_back(convert(item, source));
      return arr;
    }
    case YAML::NodeType::Map: {
      Json obj = Json::object();
      for (const auto& kv : node) {
        if (!kv.first.IsScalar())
          throw std::runtime_error(where(source, kv.first.Mark()) + ": keys must be plain names");
        const std::string key = kv.first.Scalar();
        if (firstInvalidUtf8(key))
          throw std::runtime_error(where(source, kv.first.Mark()) + ": this key is not UTF-8 text");
        if (obj.contains(key))
          throw std::runtime_error(where(source, kv.first.Mark()) + ": key '" + key +
                                   "' appears twice in the same mapping; keep one");
        obj[key] = convert(kv.second, source);
      }
      return obj;
    }
  }
  return nullptr;
}

Json parseYaml(const std::string& text, const std::string& sourceName) {
  if (const auto bad = firstInvalidUtf8(text)) {
    const size_t lineStart = text.rfind('\n', *bad) == std::string::npos ? 0 : text.rfind('\n', *bad) + 1;
    const auto line = std::count(text.begin(), text.begin() + static_cast<long>(*bad), '\n') + 1;
    char byte[8];
    std::snprintf(byte, sizeof byte, "0x%02X", static_cast<unsigned char>(text[*bad]));
    throw std::runtime_error(sourceName + ":" + std::to_string(line) + ":" + std::to_string(*bad - lineStart + 1) +
                             ": not UTF-8 text (byte " + byte + "): save the file as UTF-8");
  }
  try {
    return convert(YAML::Load(text), sourceName);
  } catch (const YAML::Exception& e) {
    throw std::runtime_error(where(sourceName, e.mark) + ": " + e.msg);
  }
}

// Strings that would read back as another type, as a document marker ("--- x", "... x"), or
// without their control characters or edge spaces (yaml-cpp writes all of these plain) go in quotes.
static void emitString(YAML::Emitter& out, const std::string& s) {
  const bool control =
      std::any_of(s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; });
  const bool edges = !s.empty() && (std::isspace(static_cast<unsigned char>(s.front())) ||
                                    std::isspace(static_cast<unsigned char>(s.back())));
  if (control || edges || !parseYamlScalar(s).is_string() || s.rfind("---", 0) == 0 || s.rfind("...", 0) == 0)
    out << YAML::DoubleQuoted << s;
  else
    out << s;
}

static void emit(YAML::Emitter& out, const Json& j) {
  switch (j.type()) {
    case Json::value_t::object:
      out << YAML::BeginMap;
      for (const auto& [k, v] : j.items()) {
        // YAML limits implicit keys to 1024 characters as written, and an escape ("\x05") writes
        // one byte as four: longer keys are written explicit ("? key").
        out << (k.size() > 250 ? YAML::LongKey : YAML::Key);
        emitString(out, k);
        out << YAML::Value;
        emit(out, v);
      }
      out << YAML::EndMap;
      break;
    case Json::value_t::array:
      out << YAML::Flow << YAML::BeginSeq;
      for (const auto& v : j) emit(out, v);
      out << YAML::EndSeq;
      break;
    case Json::value_t::string:
      emitString(out, j.get_ref<const std::string&>());
      break;
    case Json::value_t::boolean:
      out << (j.get<bool>() ? "true" : "false");
      break;
    case Json::value_t::number_integer:
      out << j.get<long long>();
      break;
    case Json::value_t::number_unsigned:
      out << j.get<unsigned long long>();
      break;
    case Json::value_t::number_float:
      out << formatFloatLiteral(j.get<double>());
      break;
    default:
      out << YAML::Null;
      break;
  }
}

std::string toYaml(const Json& json) {
  YAML::Emitter out;
  emit(out, json);
  return std::string(out.c_str()) + "\n";
}

}  // namespace reef::protocol
