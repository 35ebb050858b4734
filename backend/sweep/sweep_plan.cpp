#include "backend/sweep/sweep_plan.h"

#include "backend/sweep/stopping_rule.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace reef::sweep {

SweepPlan planSweep(const SweepSpec& sweep, const Json& resolvedBase) {
  SweepPlan plan;
  plan.trials = sweep.runCap;
  int64_t baseSteps = resolvedBase.value("/trainer/max_steps"_json_pointer, int64_t{-1});
  if (const Dimension* steps = sweep.space.find("trainer.max_steps"))  // the longest trial's
    if (const auto values = steps->enumerate())
      for (const auto& v : *values)
        if (v.is_number()) baseSteps = std::max(baseSteps, v.get<int64_t>());
  plan.stepsPerTrial = sweep.early.maxSteps > 0 ? sweep.early.maxSteps : std::max<int64_t>(baseSteps, 0);
  plan.fullCompute = plan.trials * plan.stepsPerTrial;
  plan.expectedCompute = plan.fullCompute;
  if (sweep.early.type == EarlyTerminate::Type::Asha && sweep.early.minSteps > 0 && plan.stepsPerTrial > 0) {
    plan.rungs = ashaRungs(sweep.early.minSteps, sweep.early.eta, plan.stepsPerTrial);
    double survivors = plan.trials, compute = 0;
    int64_t from = 0;
    for (int64_t rung : plan.rungs) {
      compute += survivors * static_cast<double>(rung - from);
      survivors = std::max(1.0, survivors / sweep.early.eta);
      from = rung;
    }
    compute += survivors * static_cast<double>(plan.stepsPerTrial - from);
    plan.expectedCompute = static_cast<int64_t>(std::llround(compute));
  }
  return plan;
}

namespace {

std::string number(double v) {
  char text[32];
  std::snprintf(text, sizeof text, "%g", v);
  return text;
}

std::string describeDimension(const Dimension& d) {
  std::string text;
  if (d.distribution == Distribution::Values) {
    for (const auto& v : d.values)
      text += (text.empty() ? "one of " : ", ") + (v.is_string() ? v.get<std::string>() : v.dump());
  } else {
    text = std::string(distributionName(d.distribution)) + " " + number(d.min) + " .. " + number(d.max);
    if (d.q) text += " step " + number(*d.q);
  }
  for (const auto& c : d.when) {
    text += "  (when " + c.key + " is ";
    for (size_t i = 0; i < c.values.size(); ++i)
      text += (i ? " or " : "") + (c.values[i].is_string() ? c.values[i].get<std::string>() : c.values[i].dump());
    text += ")";
  }
  return text;
}

}  // namespace

std::string describePlan(const SweepSpec& sweep, const SweepPlan& plan) {
  std::string text = "sweep " + (sweep.name.empty() ? std::string("(unnamed)") : sweep.name) + ": " +
                     methodName(sweep.method) + " search over " + std::to_string(sweep.space.dimensions().size()) +
                     (sweep.space.dimensions().size() == 1 ? " parameter of " : " parameters of ") + sweep.baseSource +
                     "\n";
  text += "  metric   " + sweep.metric.name + " (" + (sweep.metric.maximize ? "maximize" : "minimize") + ")\n";
  for (const auto& d : sweep.space.dimensions()) text += "  " + d.key + "  " + describeDimension(d) + "\n";
  text += "  trials   " + std::to_string(plan.trials) + ", " + std::to_string(sweep.maxConcurrent) + " at once";
  text += plan.stepsPerTrial > 0 ? ", " + std::to_string(plan.stepsPerTrial) + " steps each\n"
                                 : ", each for the base's max_epochs (steps known once a trial starts)\n";
  if (sweep.early.type == EarlyTerminate::Type::Asha) {
    text += "  stopping ASHA, eta " + number(sweep.early.eta) + ", rungs at steps";
    for (int64_t r : plan.rungs) text += " " + std::to_string(r);
    if (plan.rungs.empty())
      text += sweep.early.minEpochs > 0 ? " (from epoch " + number(sweep.early.minEpochs) + ")"
                                        : " (none below the budget)";
    text += "\n";
  } else if (sweep.early.type == EarlyTerminate::Type::Median) {
    text += "  stopping median rule from step " + std::to_string(sweep.early.minSteps) + " after " +
            std::to_string(sweep.early.startupTrials) + " trials\n";
  }
  if (plan.fullCompute > 0) {
    text += "  compute  " + std::to_string(plan.fullCompute) + " steps if every trial trains to the end";
    if (plan.expectedCompute < plan.fullCompute)
      text += "; about " + std::to_string(plan.expectedCompute) + " with early stopping";
    text += "\n";
  }
  return text;
}

}  // namespace reef::sweep
