#pragma once
// The training steps an events.jsonl holds, read as its contract says: a session's run_started
// with resumed_from_step S drops the steps after S that earlier sessions logged.
#include "tests/support/reef_cli.h"

#include <QtGlobal>

#include <map>

namespace reef::test {

// Step -> its train/loss, train/lr and train/grad_norm (the values that do not depend on timing);
// a step logged twice within one session maps to "twice".
inline std::map<int64_t, Json> loggedSteps(const std::filesystem::path& run) {
  std::map<int64_t, Json> steps;
  for (const Json& e : eventsOf(run)) {
    const std::string type = e.value("t", "");
    if (type == "run_started") {
      const int64_t from = e["resumed_from_step"].is_number() ? e["resumed_from_step"].get<int64_t>() : 0;
      steps.erase(steps.upper_bound(from), steps.end());
    } else if (type == "metric" && e["values"].contains("train/loss")) {
      const int64_t step = e["step"].get<int64_t>();
      if (steps.count(step)) qWarning("step %lld logged twice in one session", static_cast<long long>(step));
      Json kept = Json::object();
      for (const char* key : {"train/loss", "train/lr", "train/grad_norm"}) kept[key] = e["values"][key];
      steps[step] = steps.count(step) ? Json("twice") : kept;
    }
  }
  return steps;
}

}  // namespace reef::test
