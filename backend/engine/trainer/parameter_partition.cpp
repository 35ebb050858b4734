#include "backend/engine/trainer/parameter_partition.h"

namespace reef::engine {

ParameterPartition::ParameterPartition(torch::nn::Module& net, std::vector<FullyShardedUnit*> units,
                                       TensorParallelLayout layout, int splitSize, bool expertParallel)
    : net_(net),
      units_(std::move(units)),
      layout_(std::move(layout)),
      splitSize_(splitSize),
      expertParallel_(expertParallel) {
  for (const auto& p : net_.named_parameters(true))
    if (!inUnit(p.key()))
      (expertParallel_ && isSplit(p.key()) ? experts_ : replicated_).emplace_back(p.key(), p.value());
  parameters_ = replicated_;
  parameters_.insert(parameters_.end(), experts_.begin(), experts_.end());
  for (auto* u : units_) parameters_.emplace_back(u->name() + ".flat", u->shard());
}

bool ParameterPartition::inUnit(const std::string& name) const {
  for (const auto* u : units_)
    if (name.compare(0, u->name().size() + 1, u->name() + ".") == 0) return true;
  return false;
}

FullyShardedUnit* ParameterPartition::unitOfShard(const std::string& name) const {
  for (auto* u : units_)
    if (name.compare(0, u->name().size() + 6, u->name() + ".flat.") == 0 || name == u->name() + ".flat") return u;
  return nullptr;
}

NamedTensors ParameterPartition::replicatedState() const {
  NamedTensors state;
  for (auto& [name, t] : moduleState(net_))
    if (!inUnit(name) && !(expertParallel_ && isSplit(name))) state.emplace_back(name, t);
  return state;
}

int64_t ParameterPartition::parameterCount() const {
  int64_t n = 0;
  for (const auto& [name, p] : parameters_)
    if (!unitOfShard(name)) n += p.numel() * (isSplit(name) ? splitSize_ : 1);
  for (const auto* u : units_) n += u->numel();
  return n;
}

int64_t ParameterPartition::trainableCount() const {
  int64_t n = 0;
  for (const auto& [name, p] : parameters_)
    if (!unitOfShard(name) && p.requires_grad()) n += p.numel() * (isSplit(name) ? splitSize_ : 1);
  for (const auto* u : units_) n += u->numel();
  return n;
}

}  // namespace reef::engine
