// Sweep files: YAML to a sweep (search space, conditions, early stopping), then a preview's
// description and a few proposals of its sampler.
#include "backend/protocol/yaml_json.h"
#include "backend/sweep/sampler.h"
#include "backend/sweep/sweep_spec.h"
#include "fuzz/fuzz_input.h"

using namespace reef;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  sweep::SweepSpec spec;
  try {
    spec = sweep::parseSweep(protocol::parseYaml(fuzz::text(data, size), "fuzz.yaml"), "fuzz.yaml",
                             fuzz::asFile(data, 0).parent_path());
  } catch (const std::exception&) {
    return 0;
  }
  try {
    (void)spec.toJson().dump();
    auto sampler = sweep::makeSampler(spec);
    std::vector<sweep::Trial> history;
    for (int i = 0; i < 3; ++i) {
      auto params = sampler->propose(history);
      if (!params) break;
      sweep::Trial t;
      t.number = i;
      t.params = *params;
      t.status = sweep::TrialStatus::Completed;
      t.value = i;
      history.push_back(t);
    }
  } catch (const std::exception&) {
  }
  return 0;
}
