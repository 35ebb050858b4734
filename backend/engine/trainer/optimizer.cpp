#include "backend/engine/trainer/optimizer.h"

#include <cmath>
#include <stdexcept>

namespace reef::engine {

Optimizer::Optimizer(NamedTensors parameters, OptimSettings settings) : settings_(std::move(settings)) {
  if (settings_.name != "sgd" && settings_.name != "adam" && settings_.name != "adamw")
    throw std::invalid_argument("optim.name: unknown optimizer '" + settings_.name + "'");
  for (auto& [name, p] : parameters)
    if (p.requires_grad()) slots_.push_back({name, p, p.dim() >= 2, {}, {}});
}

void Optimizer::step(double lr) {
  torch::NoGradGuard noGrad;
  ++steps_;
  const double wd = settings_.weightDecay;
  if (settings_.name == "sgd") {
    const double mu = settings_.momentum;
    for (auto& s : slots_) {
      if (!s.param.grad().defined()) continue;
      torch::Tensor g = s.param.grad();
      if (wd != 0 && s.decayMask.defined())
        g = g.add(s.param * s.decayMask, wd);
      else if (wd != 0 && s.decay)
        g = g.add(s.param, wd);
      if (mu != 0) {
        if (!s.m.defined())
          s.m = g.clone();
        else
          s.m.mul_(mu).add_(g);
        g = settings_.nesterov ? g.add(s.m, mu) : s.m;
      }
      s.param.add_(g, -lr);
    }
    return;
  }
  const double b1 = settings_.beta1, b2 = settings_.beta2;
  const double bc1 = 1 - std::pow(b1, static_cast<double>(steps_));
  const double bc2Sqrt = std::sqrt(1 - std::pow(b2, static_cast<double>(steps_)));
  const bool decoupled = settings_.name == "adamw";
  for (auto& s : slots_) {
    if (!s.param.grad().defined()) continue;
    torch::Tensor g = s.param.grad();
    if (wd != 0 && s.decayMask.defined()) {
      if (decoupled)
        s.param.mul_(1 - lr * wd * s.decayMask);
      else
        g = g.add(s.param * s.decayMask, wd);
    } else if (wd != 0 && s.decay) {
      if (decoupled)
        s.param.mul_(1 - lr * wd);
      else
        g = g.add(s.param, wd);
    }
    if (!s.m.defined()) {
      s.m = torch::zeros_like(s.param, torch::MemoryFormat::Preserve);
      s.v = torch::zeros_like(s.param, torch::MemoryFormat::Preserve);
    }
    s.m.mul_(b1).add_(g, 1 - b1);
    s.v.mul_(b2).addcmul_(g, g, 1 - b2);
    torch::Tensor denom = (s.v.sqrt() / bc2Sqrt).add_(settings_.eps);
    s.param.addcdiv_(s.m, denom, -lr / bc1);
  }
}

void Optimizer::zeroGrad() {
  for (auto& s : slots_) s.param.mutable_grad() = torch::Tensor();
}

void Optimizer::setDecayMask(const std::string& name, torch::Tensor mask) {
  for (auto& s : slots_)
    if (s.name == name) {
      s.decayMask = std::move(mask);
      return;
    }
  throw std::invalid_argument("the optimizer has no parameter '" + name + "'");
}

void Optimizer::setSharded(std::shared_ptr<ProcessGroup> group,
                           const std::function<bool(const std::string&)>& isSharded) {
  shardGroup_ = std::move(group);
  for (auto& s : slots_) s.sharded = isSharded(s.name);
}

double Optimizer::gradNorm() const {
  torch::NoGradGuard noGrad;
  double whole = 0, sharded = 0;
  for (const auto& s : slots_)
    if (s.param.grad().defined()) {
      const double n = s.param.grad().norm().item<double>();
      (s.sharded ? sharded : whole) += n * n;
    }
  if (shardGroup_ && shardGroup_->size() > 1) {
    torch::Tensor sum = torch::tensor({sharded}, torch::kFloat64);
    shardGroup_->allReduceSum(sum);
    sharded = sum.item<double>();
  }
  return std::sqrt(whole + sharded);
}

double Optimizer::clipGradNorm(double maxNorm) {
  const double norm = gradNorm();
  if (norm > maxNorm && std::isfinite(norm)) {
    torch::NoGradGuard noGrad;
    const double scale = maxNorm / (norm + 1e-6);
    for (auto& s : slots_)
      if (s.param.grad().defined()) s.param.grad().mul_(scale);
  }
  return norm;
}

NamedTensors Optimizer::state() const {
  NamedTensors out;
  const bool sgd = settings_.name == "sgd";
  for (const auto& s : slots_) {
    if (!s.m.defined()) continue;
    out.emplace_back(s.name + (sgd ? ".momentum" : ".exp_avg"), s.m);
    if (!sgd) out.emplace_back(s.name + ".exp_avg_sq", s.v);
  }
  return out;
}

void Optimizer::loadState(const std::map<std::string, torch::Tensor>& tensors, int64_t steps,
                          const std::string& source) {
  torch::NoGradGuard noGrad;
  const bool sgd = settings_.name == "sgd";
  auto restore = [&](const Slot& s, const std::string& key) -> torch::Tensor {
    auto it = tensors.find(key);
    if (it == tensors.end()) return {};
    if (it->second.sizes() != s.param.sizes())
      throw std::runtime_error("'" + source + "': optimizer state '" + key + "' does not match the parameter's shape");
    auto t = torch::empty_like(s.param, torch::MemoryFormat::Preserve);
    t.copy_(it->second);
    return t;
  };
  size_t restored = 0;
  for (auto& s : slots_) {
    s.m = restore(s, s.name + (sgd ? ".momentum" : ".exp_avg"));
    s.v = sgd ? torch::Tensor() : restore(s, s.name + ".exp_avg_sq");
    restored += s.m.defined();
  }
  const bool stateless = sgd && settings_.momentum == 0;
  if (steps > 0 && restored == 0 && !stateless && !slots_.empty())
    throw std::runtime_error("'" + source +
                             "' holds no optimizer state for this model: was it written with a "
                             "different optim.name or model?");
  steps_ = steps;
}

}  // namespace reef::engine
