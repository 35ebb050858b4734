#include "backend/engine/core/tensor_io.h"

#include "backend/protocol/safetensors.h"

#include <cstring>
#include <stdexcept>

namespace reef::engine {

namespace {

using protocol::DType;

DType toDType(torch::ScalarType type) {
  switch (type) {
    case torch::kFloat64:
      return DType::F64;
    case torch::kFloat32:
      return DType::F32;
    case torch::kFloat16:
      return DType::F16;
    case torch::kBFloat16:
      return DType::BF16;
    case torch::kInt64:
      return DType::I64;
    case torch::kInt32:
      return DType::I32;
    case torch::kInt16:
      return DType::I16;
    case torch::kInt8:
      return DType::I8;
    case torch::kUInt8:
      return DType::U8;
    case torch::kBool:
      return DType::Bool;
    default:
      throw std::invalid_argument(std::string("safetensors cannot hold dtype ") + c10::toString(type));
  }
}

torch::ScalarType toScalarType(DType type) {
  switch (type) {
    case DType::F64:
      return torch::kFloat64;
    case DType::F32:
      return torch::kFloat32;
    case DType::F16:
      return torch::kFloat16;
    case DType::BF16:
      return torch::kBFloat16;
    case DType::I64:
      return torch::kInt64;
    case DType::I32:
      return torch::kInt32;
    case DType::I16:
      return torch::kInt16;
    case DType::I8:
      return torch::kInt8;
    case DType::U8:
      return torch::kUInt8;
    case DType::Bool:
      return torch::kBool;
  }
  return torch::kFloat32;
}

}  // namespace

std::string shapeText(torch::IntArrayRef shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

NamedTensors moduleState(const torch::nn::Module& module) {
  NamedTensors out;
  for (const auto& p : module.named_parameters(/*recurse=*/true)) out.emplace_back(p.key(), p.value());
  for (const auto& b : module.named_buffers(/*recurse=*/true)) out.emplace_back(b.key(), b.value());
  return out;
}

protocol::TensorData tensorData(const std::string& name, const torch::Tensor& t) {
  if (!t.device().is_cpu() || !t.is_contiguous())
    throw std::invalid_argument("tensor '" + name + "' is not a contiguous CPU tensor");
  return {name, toDType(t.scalar_type()), std::vector<int64_t>(t.sizes().begin(), t.sizes().end()), t.data_ptr(),
          static_cast<size_t>(t.numel()) * t.element_size()};
}

void saveTensors(const std::filesystem::path& path, const NamedTensors& tensors,
                 const std::map<std::string, std::string>& metadata) {
  // Keep the contiguous CPU copies alive until the file is written.
  std::vector<torch::Tensor> host;
  std::vector<protocol::TensorData> records;
  host.reserve(tensors.size());
  for (const auto& [name, tensor] : tensors) {
    host.push_back(tensor.detach().to(torch::kCPU).contiguous());
    records.push_back(tensorData(name, host.back()));
  }
  protocol::writeSafetensors(path, records, metadata);
}

std::map<std::string, torch::Tensor> loadTensors(const std::filesystem::path& path) {
  auto file = protocol::SafetensorsFile::open(path);
  std::map<std::string, torch::Tensor> out;
  for (const auto& e : file.tensors()) {
    auto t = torch::empty(e.shape, torch::TensorOptions().dtype(toScalarType(e.dtype)));
    std::memcpy(t.data_ptr(), e.data, e.nbytes);
    out.emplace(e.name, t);
  }
  return out;
}

size_t loadModuleState(torch::nn::Module& module, const std::map<std::string, torch::Tensor>& tensors,
                       const std::string& source, const TensorFilter& mayBeMissing) {
  torch::NoGradGuard noGrad;
  size_t used = 0;
  for (auto& [name, target] : moduleState(module)) {
    auto it = tensors.find(name);
    if (it == tensors.end()) {
      if (mayBeMissing && mayBeMissing(name)) continue;
      throw std::runtime_error("'" + source + "' has no tensor '" + name +
                               "': it was saved from a different model (check model.arch and its settings)");
    }
    if (it->second.sizes() != target.sizes())
      throw std::runtime_error("'" + source + "': tensor '" + name + "' has shape " + shapeText(it->second.sizes()) +
                               " but the model expects " + shapeText(target.sizes()) +
                               " (the spec's model settings differ from the checkpoint's)");
    target.copy_(it->second);
    ++used;
  }
  if (used != tensors.size()) {
    std::string extra;
    auto state = moduleState(module);
    for (const auto& [name, t] : tensors) {
      bool known = false;
      for (const auto& s : state) known = known || s.first == name;
      if (!known) extra += (extra.empty() ? "" : ", ") + name;
    }
    throw std::runtime_error("'" + source + "' holds tensors the model does not have (" + extra +
                             "): it was saved from a different model");
  }
  return used;
}

size_t loadModuleState(torch::nn::Module& module, const std::filesystem::path& path) {
  return loadModuleState(module, loadTensors(path), path.string());
}

}  // namespace reef::engine
