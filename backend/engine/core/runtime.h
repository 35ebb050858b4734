#pragma once
// Process-wide settings that training speed depends on: LibTorch's thread count and how the C
// library's allocator recycles tensor buffers.

#include <torch/torch.h>

namespace reef::engine {

// Cores this process may run on (its CPU affinity, which respects taskset and cgroup cpusets).
int availableCores();

// Sets LibTorch's intra-op thread count (and so OpenBLAS's OpenMP pool) to `requested`, or to
// every available core when it is 0 (LibTorch starts with one here), and tunes the allocator
// (below). Returns the thread count set.
int configureRuntime(int requested);

// For a server: sets the intra-op thread count to `requested`, or, when it is 0, to every available
// core but one (at least one), which is left to the threads that read requests and write answers;
// returns it. On 2 cores, with the clients on the same machine, one compute thread decoded 16
// streams at 5,246-5,296 tokens/s against 4,177-4,403 with two, whose spinning OpenMP worker took
// the core the connections needed (2026-12-05, docs/export-and-serving.md). Like configureRuntime,
// it holds for the calling thread's calls.
int configureServingRuntime(int requested);

// glibc serves blocks above a dynamic threshold with fresh mmap()s and trims freed heap back to
// the OS, so every training step page-faults its activation buffers in again (measured: the CNN
// step spends a third of its time zero-filling such pages). Raising both thresholds keeps freed
// buffers for reuse, as the jemalloc/tcmalloc preloads that PyTorch users reach for do.
void tuneAllocatorForTraining();

// Which product matmulGflops times: LibTorch's torch::mm, or the engine's denseGemm (oneDNN in
// fp32 on the CPU, core/dense_products.h), which the LLM's linear layers use.
enum class MatmulKernel { TorchMm, DenseGemm };

// The rate (GFLOP/s) of a square product (1024 wide on a CPU, 8192 on a GPU, which needs larger
// ones to reach its rate) on `device` in `dtype` with `kernel`, the best of five 0.1 s windows.
double matmulGflops(const torch::Device& device, torch::ScalarType dtype, MatmulKernel kernel);

// This machine's dense matrix-multiply rate: the faster of the two kernels above, the denominator
// of model FLOPs utilisation (a model can reach either).
double matmulGflops(const torch::Device& device, torch::ScalarType dtype);

}  // namespace reef::engine
