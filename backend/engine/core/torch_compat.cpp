#include "backend/engine/core/torch_compat.h"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Context.h>
#include <ATen/autocast_mode.h>
#include <ATen/core/Generator.h>
#include <torch/version.h>

#include <mutex>

#define REEF_TORCH_AT_LEAST(major, minor) \
  (TORCH_VERSION_MAJOR > (major) || (TORCH_VERSION_MAJOR == (major) && TORCH_VERSION_MINOR >= (minor)))

namespace reef::engine::compat {

void setAutocast(const torch::Device& device, bool enabled, torch::ScalarType dtype) {
#if REEF_TORCH_AT_LEAST(2, 4)
  at::autocast::set_autocast_enabled(device.type(), enabled);
  if (enabled) at::autocast::set_autocast_dtype(device.type(), dtype);
#else
  if (device.is_cuda()) {
    at::autocast::set_enabled(enabled);
    if (enabled) at::autocast::set_autocast_gpu_dtype(dtype);
  } else {
    at::autocast::set_cpu_enabled(enabled);
    if (enabled) at::autocast::set_autocast_cpu_dtype(dtype);
  }
#endif
  if (!enabled) at::autocast::clear_cache();
}

bool autocastEnabled(const torch::Device& device) {
#if REEF_TORCH_AT_LEAST(2, 4)
  return at::autocast::is_autocast_enabled(device.type());
#else
  return device.is_cuda() ? at::autocast::is_enabled() : at::autocast::is_cpu_enabled();
#endif
}

torch::ScalarType autocastDtype(const torch::Device& device) {
#if REEF_TORCH_AT_LEAST(2, 4)
  return at::autocast::get_autocast_dtype(device.type());
#else
  return device.is_cuda() ? at::autocast::get_autocast_gpu_dtype() : at::autocast::get_autocast_cpu_dtype();
#endif
}

static at::Generator defaultGenerator(const torch::Device& device) {
  return at::globalContext().defaultGenerator(device);
}

torch::Tensor rngState(const torch::Device& device) {
  at::Generator gen = defaultGenerator(device);
  std::lock_guard<std::mutex> lock(gen.mutex());
  return gen.get_state();
}

void setRngState(const torch::Device& device, const torch::Tensor& state) {
  at::Generator gen = defaultGenerator(device);
  std::lock_guard<std::mutex> lock(gen.mutex());
  gen.set_state(state);
}

uint64_t nextRandom64() {
  at::Generator gen = at::detail::getDefaultCPUGenerator();
  std::lock_guard<std::mutex> lock(gen.mutex());
  return at::check_generator<at::CPUGeneratorImpl>(gen)->random64();
}

bool cudaAvailable() { return torch::cuda::is_available(); }

}  // namespace reef::engine::compat
