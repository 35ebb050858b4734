// Spec files: YAML (and JSON, which is YAML) to the spec's JSON, a `section.key=value` override
// applied to it, and the YAML Reef writes back read as the same document.
#include "backend/protocol/spec.h"
#include "backend/protocol/yaml_json.h"
#include "fuzz/fuzz_input.h"

using namespace reef;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string input = fuzz::text(data, size);
  // The first line is an override, the rest the file.
  const size_t newline = input.find('\n');
  const std::string assignment = input.substr(0, newline);
  const std::string file = newline == std::string::npos ? "" : input.substr(newline + 1);
  Json doc;
  try {
    doc = protocol::parseYaml(file, "fuzz.yaml");
  } catch (const std::exception&) {
    return 0;
  }
  try {
    if (doc.is_object()) protocol::applyOverride(doc, assignment);
  } catch (const std::exception&) {
  }
  std::string written;
  try {
    written = protocol::toYaml(doc);
  } catch (const std::exception& e) {
    fuzz::finding(std::string("toYaml threw on a parsed document: ") + e.what());
  }
  Json back;
  try {
    back = protocol::parseYaml(written, "written.yaml");
  } catch (const std::exception& e) {
    fuzz::finding("the YAML Reef wrote does not parse: " + std::string(e.what()) + "\n" + written);
  }
  // Compared as text: NaN (.nan) is never equal to itself.
  const auto text = [](const Json& j) { return j.dump(-1, ' ', false, Json::error_handler_t::replace); };
  if (text(back) != text(doc)) fuzz::finding("YAML round trip changed the document:\n" + text(doc) + "\n" + text(back));
  return 0;
}
