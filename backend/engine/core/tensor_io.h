#pragma once
// LibTorch tensors in and out of safetensors files (the format itself is in protocol/).
#include "backend/protocol/safetensors.h"

#include <torch/torch.h>

#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace reef::engine {

using NamedTensors = std::vector<std::pair<std::string, torch::Tensor>>;

// "[2, 3, 4]": a shape as error messages print it.
std::string shapeText(torch::IntArrayRef shape);

// Parameters then buffers, under their module path names ("conv1.weight", "bn.running_mean").
NamedTensors moduleState(const torch::nn::Module& module);

// A safetensors record viewing `tensor` (contiguous, on the CPU; it must outlive the record).
protocol::TensorData tensorData(const std::string& name, const torch::Tensor& tensor);
void saveTensors(const std::filesystem::path& path, const NamedTensors& tensors,
                 const std::map<std::string, std::string>& metadata = {});
// Copies every tensor of the file into CPU tensors that own their memory.
std::map<std::string, torch::Tensor> loadTensors(const std::filesystem::path& path);

// Names of module tensors a file may lack (they keep their values), e.g. new LoRA adapters.
using TensorFilter = std::function<bool(const std::string& name)>;

// Loads `path` into the module's parameters and buffers in place. Strict: a missing (unless
// `mayBeMissing` accepts it), unexpected or differently shaped tensor is an error naming the
// tensor and the file. Returns how many tensors were loaded.
size_t loadModuleState(torch::nn::Module& module, const std::filesystem::path& path);
size_t loadModuleState(torch::nn::Module& module, const std::map<std::string, torch::Tensor>& tensors,
                       const std::string& source, const TensorFilter& mayBeMissing = {});

}  // namespace reef::engine
