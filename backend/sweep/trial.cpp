#include "backend/sweep/trial.h"

#include <cmath>
#include <stdexcept>

namespace reef::sweep {

namespace {

struct StatusName {
  TrialStatus status;
  const char* name;
};

constexpr StatusName kNames[] = {
    {TrialStatus::Pending, "pending"},     {TrialStatus::Running, "running"},     {TrialStatus::Stopping, "stopping"},
    {TrialStatus::Completed, "completed"}, {TrialStatus::Stopped, "stopped"},     {TrialStatus::Failed, "failed"},
    {TrialStatus::Lost, "lost"},           {TrialStatus::Cancelled, "cancelled"},
};

// NaN and infinities have no JSON form: written as null, read back as NaN.
Json jsonNumber(double v) { return std::isfinite(v) ? Json(v) : Json(nullptr); }
double numberOf(const Json& v) { return v.is_number() ? v.get<double>() : NAN; }

}  // namespace

const char* trialStatusName(TrialStatus status) {
  for (const auto& n : kNames)
    if (n.status == status) return n.name;
  return "pending";
}

TrialStatus trialStatusFromName(const std::string& name) {
  for (const auto& n : kNames)
    if (name == n.name) return n.status;
  throw std::invalid_argument("unknown trial status '" + name + "'");
}

bool finished(TrialStatus status) {
  return status != TrialStatus::Pending && status != TrialStatus::Running && status != TrialStatus::Stopping;
}

Json Trial::toJson() const {
  Json reportList = Json::array();
  for (const auto& [step, v] : reports) reportList.push_back({step, jsonNumber(v)});
  Json rungList = Json::object();
  for (const auto& [rung, v] : rungs) rungList[std::to_string(rung)] = jsonNumber(v);
  return {{"number", number},   {"status", trialStatusName(status)},
          {"params", params},   {"run_dir", runDir},
          {"pid", pid},         {"resumes", resumes},
          {"steps", steps},     {"value", value ? jsonNumber(*value) : Json(nullptr)},
          {"error", error},     {"reports", reportList},
          {"rungs", rungList},  {"started_at", startedAt},
          {"ended_at", endedAt}};
}

Trial Trial::fromJson(const Json& json) {
  Trial t;
  t.number = json.at("number").get<int>();
  t.status = trialStatusFromName(json.at("status").get<std::string>());
  t.params = json.value("params", Json::object());
  t.runDir = json.value("run_dir", "");
  t.pid = json.value("pid", int64_t{0});
  t.resumes = json.value("resumes", 0);
  t.steps = json.value("steps", int64_t{0});
  if (json.contains("value") && !json["value"].is_null()) t.value = numberOf(json["value"]);
  t.error = json.value("error", "");
  for (const auto& r : json.value("reports", Json::array())) t.reports[r.at(0).get<int64_t>()] = numberOf(r.at(1));
  const Json rungs = json.value("rungs", Json::object());  // (items() of a temporary would dangle)
  for (const auto& [rung, v] : rungs.items()) t.rungs[std::stoi(rung)] = numberOf(v);
  t.startedAt = json.value("started_at", 0.0);
  t.endedAt = json.value("ended_at", 0.0);
  return t;
}

}  // namespace reef::sweep
