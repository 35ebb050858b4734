#pragma once
// Low-rank adaptation (LoRA, Hu et al. 2021): a linear layer y = x W^T + (alpha / r) x A^T B^T whose
// adapter A [r, in], B [out, r] trains while W stays frozen. B starts at zero, so attaching an
// adapter leaves the model's outputs unchanged. Parameter names follow Hugging Face PEFT
// ("...q_proj.lora_A.weight"), the base weight keeps its name ("...q_proj.weight"), so a model
// with adapters still loads a checkpoint trained without them.
#include "backend/engine/core/tensor_io.h"

#include <torch/torch.h>

#include <string>
#include <vector>

namespace reef::engine {

class LoraLinearImpl : public torch::nn::Module {
 public:
  LoraLinearImpl(int64_t in, int64_t out, bool bias);
  torch::Tensor forward(const torch::Tensor& x);

  // Adds a rank-`rank` adapter (A Kaiming-uniform, B zero) scaled by alpha / rank.
  void attachAdapter(int64_t rank, double alpha);
  bool hasAdapter() const { return adapterA.defined(); }
  // W += (alpha / r) B A, then drops the adapter: the layer computes the same function, faster.
  void mergeAdapter();

  torch::Tensor weight, bias;
  torch::Tensor adapterA, adapterB;  // registered as lora_A.weight, lora_B.weight

 private:
  double scale_ = 0;
  int64_t in_, out_;
};
TORCH_MODULE(LoraLinear);

struct LoraSettings {
  int64_t rank = 0;  // 0: no adapters
  double alpha = 16;
  std::vector<std::string> targets;  // last name component of the layers to adapt, e.g. q_proj
};

// Attaches adapters to every LoraLinear of `module` whose name ends in a target and freezes all
// other parameters. Returns the adapted layer names; throws when a target matches nothing.
std::vector<std::string> attachLora(torch::nn::Module& module, const LoraSettings& settings);
// Whether a tensor name is a LoRA adapter's ("...lora_A.weight", "...lora_B.weight").
bool isAdapterTensor(const std::string& name);
// The adapter tensors alone (names as in the module: "...q_proj.lora_A.weight").
NamedTensors loraState(const torch::nn::Module& module);
// Merges every adapter into its base weight; returns how many were merged.
int mergeLora(torch::nn::Module& module);

// "q_proj, v_proj" -> {"q_proj", "v_proj"}.
std::vector<std::string> parseTargetList(const std::string& list);

}  // namespace reef::engine
