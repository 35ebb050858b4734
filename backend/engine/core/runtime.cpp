#include "backend/engine/core/runtime.h"

#include "backend/engine/core/dense_products.h"

#include <malloc.h>
#include <sched.h>

#include <algorithm>
#include <chrono>
#include <thread>

#include <torch/torch.h>

namespace reef::engine {

int availableCores() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) == 0) return CPU_COUNT(&set);
  return static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

void tuneAllocatorForTraining() {
  mallopt(M_MMAP_THRESHOLD, 32 << 20);  // glibc's ceiling on 64-bit
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
}

double matmulGflops(const torch::Device& device, torch::ScalarType dtype, MatmulKernel kernel) {
  const int64_t n = device.is_cuda() ? 8192 : 1024;
  const auto options = torch::TensorOptions().device(device).dtype(dtype);
  const torch::Tensor a = torch::randn({n, n}, options), b = torch::randn({n, n}, options);
  torch::Tensor c = torch::empty({n, n}, options);
  const auto multiply = [&] {
    if (kernel == MatmulKernel::DenseGemm)
      denseGemm(false, false, a, b, c);
    else
      c = torch::mm(a, b);
  };
  multiply();  // warm-up
  // The best of several short windows: the machine's rate, not whatever else ran during one.
  double best = 0;
  for (int window = 0; window < 5; ++window) {
    int iterations = 0;
    const auto start = std::chrono::steady_clock::now();
    double seconds = 0;
    while (seconds < 0.1) {
      multiply();
      ++iterations;
      if (device.is_cuda()) c.cpu();
      seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    }
    best = std::max(best, 2.0 * n * n * n * iterations / seconds / 1e9);
  }
  return best;
}

double matmulGflops(const torch::Device& device, torch::ScalarType dtype) {
  const double torchRate = matmulGflops(device, dtype, MatmulKernel::TorchMm);
  // denseGemm is torch::mm itself except for fp32 on the CPU with oneDNN: time it only there.
  if (!denseProductsUseOneDnn() || !device.is_cpu() || dtype != torch::kFloat32) return torchRate;
  return std::max(torchRate, matmulGflops(device, dtype, MatmulKernel::DenseGemm));
}

int configureRuntime(int requested) {
  const int n = requested > 0 ? requested : availableCores();
  torch::set_num_threads(n);
  tuneAllocatorForTraining();
  return n;
}

int configureServingRuntime(int requested) {
  return configureRuntime(requested > 0 ? requested : std::max(1, availableCores() - 1));
}

}  // namespace reef::engine
