#include "backend/engine/core/lora.h"

#include <cmath>
#include <sstream>
#include <stdexcept>
#include "backend/engine/core/dense_products.h"

namespace reef::engine {

namespace {

std::string lastComponent(const std::string& name) {
  const auto dot = name.rfind('.');
  return dot == std::string::npos ? name : name.substr(dot + 1);
}

}  // namespace

LoraLinearImpl::LoraLinearImpl(int64_t in, int64_t out, bool withBias) : in_(in), out_(out) {
  // torch::nn::Linear's initialisation, so the two draw the same weights from the same seed.
  weight = register_parameter("weight", torch::empty({out, in}));
  torch::nn::init::kaiming_uniform_(weight, std::sqrt(5.0));
  if (withBias) {
    const double bound = 1.0 / std::sqrt(static_cast<double>(in));
    bias = register_parameter("bias", torch::empty({out}));
    torch::nn::init::uniform_(bias, -bound, bound);
  }
}

torch::Tensor LoraLinearImpl::forward(const torch::Tensor& x) {
  torch::Tensor y = denseLinear(x, weight, bias);
  if (adapterA.defined()) y = y + denseLinear(denseLinear(x, adapterA), adapterB) * scale_;
  return y;
}

void LoraLinearImpl::attachAdapter(int64_t rank, double alpha) {
  if (rank <= 0) throw std::invalid_argument("LoRA rank must be positive");
  if (hasAdapter()) throw std::logic_error("this layer already has a LoRA adapter");
  const auto options = weight.options().requires_grad(true);
  auto a = std::make_shared<torch::nn::Module>();
  auto b = std::make_shared<torch::nn::Module>();
  adapterA = a->register_parameter("weight", torch::empty({rank, in_}, options));
  adapterB = b->register_parameter("weight", torch::zeros({out_, rank}, options));
  {
    torch::NoGradGuard noGrad;
    torch::nn::init::kaiming_uniform_(adapterA, std::sqrt(5.0));
  }
  register_module("lora_A", a);
  register_module("lora_B", b);
  scale_ = alpha / static_cast<double>(rank);
}

void LoraLinearImpl::mergeAdapter() {
  if (!hasAdapter()) return;
  {
    torch::NoGradGuard noGrad;
    weight.add_(torch::matmul(adapterB.to(torch::kFloat64), adapterA.to(torch::kFloat64))
                    .mul_(scale_)
                    .to(weight.scalar_type()));
  }
  unregister_module("lora_A");
  unregister_module("lora_B");
  adapterA = adapterB = torch::Tensor();
  scale_ = 0;
}

std::vector<std::string> attachLora(torch::nn::Module& module, const LoraSettings& settings) {
  std::vector<std::string> adapted;
  if (settings.rank <= 0) return adapted;
  if (settings.targets.empty()) throw std::invalid_argument("LoRA needs target modules (e.g. q_proj,v_proj)");
  // Match every target before touching the model, so a typo leaves it exactly as it was.
  std::vector<std::pair<std::string, LoraLinearImpl*>> matched;
  std::vector<bool> used(settings.targets.size(), false);
  for (const auto& item : module.named_modules()) {
    auto* layer = dynamic_cast<LoraLinearImpl*>(item.value().get());
    if (!layer) continue;
    const std::string leaf = lastComponent(item.key());
    for (size_t i = 0; i < settings.targets.size(); ++i)
      if (leaf == settings.targets[i]) {
        matched.emplace_back(item.key(), layer);
        used[i] = true;
      }
  }
  for (size_t i = 0; i < used.size(); ++i)
    if (!used[i])
      throw std::invalid_argument("LoRA target '" + settings.targets[i] +
                                  "' names no adaptable linear layer of this model (Llama: q_proj, k_proj, v_proj, "
                                  "o_proj, gate_proj, up_proj, down_proj, lm_head)");
  for (auto& p : module.parameters()) p.set_requires_grad(false);
  for (auto& [name, layer] : matched) {
    layer->attachAdapter(settings.rank, settings.alpha);
    adapted.push_back(name);
  }
  return adapted;
}

bool isAdapterTensor(const std::string& name) {
  return name.find("lora_A.") != std::string::npos || name.find("lora_B.") != std::string::npos;
}

NamedTensors loraState(const torch::nn::Module& module) {
  NamedTensors out;
  for (const auto& p : module.named_parameters(true))
    if (isAdapterTensor(p.key())) out.emplace_back(p.key(), p.value());
  return out;
}

int mergeLora(torch::nn::Module& module) {
  int merged = 0;
  for (const auto& item : module.named_modules())
    if (auto* layer = dynamic_cast<LoraLinearImpl*>(item.value().get()); layer && layer->hasAdapter()) {
      layer->mergeAdapter();
      ++merged;
    }
  return merged;
}

std::vector<std::string> parseTargetList(const std::string& list) {
  std::vector<std::string> out;
  std::stringstream in(list);
  std::string item;
  while (std::getline(in, item, ',')) {
    const auto b = item.find_first_not_of(" \t");
    if (b == std::string::npos) continue;
    out.push_back(item.substr(b, item.find_last_not_of(" \t") - b + 1));
  }
  return out;
}

}  // namespace reef::engine
