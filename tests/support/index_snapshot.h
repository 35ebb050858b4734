#pragma once
// Everything in a run index, keyed by names rather than row ids, for comparing two databases (a
// live one with a rebuilt one).
#include "storage/metric_store.h"
#include "storage/run_query.h"

#include <cmath>

namespace reef::test {

inline Json indexSnapshot(storage::Database& db) {
  Json out = Json::object();
  for (const auto& r : storage::listRuns(db, {"", "run_id", false, {}, 0})) {
    Json d = storage::runDetails(db, r.id);
    for (const char* volatileField : {"id", "experiment_id", "events_offset", "created"}) d["run"].erase(volatileField);
    Json series = Json::object();
    for (const auto& key : storage::metricKeys(db, {r.id})) {
      Json points = Json::array();
      for (const auto& p : storage::readSeries(db, r.id, *storage::findMetricKey(db, key)))
        points.push_back({p.step, p.time, std::isfinite(p.value) ? Json(p.value) : Json()});
      series[key] = points;
    }
    d["series"] = series;
    for (auto& n : d["notes"]) n.erase("created");
    out[r.runId] = d;
  }
  return out;
}

}  // namespace reef::test
