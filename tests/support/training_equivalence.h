#pragma once
// Whether a job of several ranks trained exactly as one process did on the same global batch: the
// same losses step by step and the same parameters at the end, within 1e-5 (relative). Shared by
// the distributed suites on one machine and on the netns cluster.
#include "backend/engine/trainer/checkpoint.h"
#include "tests/support/reef_cli.h"

#include <QtTest>

#include <cmath>
#include <map>
#include <string>
#include <vector>

namespace reef::test {

inline std::vector<double> trainLosses(const std::filesystem::path& run) {
  std::vector<double> out;
  for (const auto& m : eventsOfType(run, "metric"))
    if (m["values"].contains("train/loss")) out.push_back(m["values"]["train/loss"].get<double>());
  return out;
}

// The largest, over the tensors of checkpoint `a` whose names end with `suffix`, of |a - b| / |a|
// (Euclidean norms); an FSDP checkpoint is read whole from its rank shards.
inline double relativeDifference(const std::map<std::string, torch::Tensor>& a,
                                 const std::map<std::string, torch::Tensor>& b, const std::string& suffix = "") {
  double worst = 0;
  size_t compared = 0;
  for (const auto& [name, ta] : a) {
    if (name.size() < suffix.size() || name.compare(name.size() - suffix.size(), suffix.size(), suffix) != 0) continue;
    ++compared;
    const auto tb = b.find(name);
    if (tb == b.end() || !tb->second.sizes().equals(ta.sizes())) return INFINITY;
    const double norm = ta.to(torch::kFloat64).norm().item<double>();
    worst = std::max(
        worst, (ta.to(torch::kFloat64) - tb->second.to(torch::kFloat64)).norm().item<double>() / std::max(1e-12, norm));
  }
  return compared > 0 ? worst : INFINITY;
}

inline engine::LoadedCheckpoint checkpointOf(const std::filesystem::path& run, int64_t step) {
  return engine::CheckpointStore(protocol::RunDir(run)).load(step);
}

// `steps` steps of a job against one process on the same global batch: the same losses, and the
// same parameters at the last step, within 1e-5 (relative).
inline void expectSameTraining(const std::filesystem::path& single, const std::filesystem::path& job,
                               int64_t steps = 5) {
  const auto a = trainLosses(single), b = trainLosses(job);
  QCOMPARE(a.size(), size_t(steps));
  QCOMPARE(b.size(), size_t(steps));
  for (size_t i = 0; i < a.size(); ++i)
    QVERIFY2(std::abs(a[i] - b[i]) <= 1e-5 * std::abs(a[i]),
             qPrintable(QString("step %1: %2 vs %3").arg(i + 1).arg(a[i]).arg(b[i])));
  const double diff = relativeDifference(checkpointOf(single, steps).weights, checkpointOf(job, steps).weights);
  QVERIFY2(diff < 1e-5, qPrintable(QString("parameters differ by %1 (relative)").arg(diff)));
}

}  // namespace reef::test
