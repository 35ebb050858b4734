#include "backend/engine/core/dataset.h"

#include <stdexcept>

namespace reef::engine {

const char* splitName(Split split) {
  switch (split) {
    case Split::Train:
      return "train";
    case Split::Val:
      return "val";
    case Split::Test:
      return "test";
  }
  return "?";
}

const torch::Tensor& Batch::at(const std::string& name) const {
  auto it = fields.find(name);
  if (it == fields.end()) throw std::logic_error("batch has no field '" + name + "'");
  return it->second;
}

Batch Batch::to(const torch::Device& device) const {
  Batch out = *this;
  for (auto& [name, tensor] : out.fields) tensor = tensor.to(device, /*non_blocking=*/true);
  return out;
}

}  // namespace reef::engine
