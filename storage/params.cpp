#include "storage/params.h"

#include "backend/protocol/number_format.h"

namespace reef::storage {

namespace {

void flatten(const Json& node, const std::string& prefix, std::vector<ParamValue>& out) {
  if (node.is_object()) {
    for (const auto& [k, v] : node.items()) flatten(v, prefix.empty() ? k : prefix + "." + k, out);
    return;
  }
  ParamValue p{prefix, "", std::nullopt, ""};
  if (node.is_boolean()) {
    p.type = "bool";
    p.num = node.get<bool>() ? 1.0 : 0.0;
    p.text = node.get<bool>() ? "true" : "false";
  } else if (node.is_number_integer()) {
    p.type = "int";
    p.num = node.get<double>();
    p.text = std::to_string(node.get<long long>());
  } else if (node.is_number()) {
    p.type = "float";
    p.num = node.get<double>();
    p.text = protocol::formatNumber(node.get<double>());
  } else if (node.is_string()) {
    p.type = "string";
    p.text = node.get<std::string>();
  } else if (node.is_array()) {
    p.type = "list";
    p.text = node.dump();
  } else {
    p.type = "null";
  }
  out.push_back(std::move(p));
}

}  // namespace

std::vector<ParamValue> flattenSpec(const Json& spec) {
  std::vector<ParamValue> out;
  flatten(spec, "", out);
  return out;
}

}  // namespace reef::storage
