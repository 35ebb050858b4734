#pragma once
// The LibTorch calls whose spelling differs between Debian's 1.13 (CPU) and the 2.x builds that
// GPU machines carry. Everything else in the engine uses the API common to both.
#include <torch/torch.h>
#include <torch/version.h>

namespace c10d {
class Backend;
class ProcessGroup;
}  // namespace c10d

namespace reef::engine::compat {

// What c10d's Gloo and NCCL groups derive from: ProcessGroup in 1.13; from 2.0 on, Backend (a
// ProcessGroup there dispatches to backends).
#if TORCH_VERSION_MAJOR >= 2
using C10dBackend = c10d::Backend;
#else
using C10dBackend = c10d::ProcessGroup;
#endif

// Mixed-precision autocast for `device` (CPU or CUDA) in `dtype`; enabled=false turns it off and
// drops the cast cache.
void setAutocast(const torch::Device& device, bool enabled, torch::ScalarType dtype);

// Whether autocast is on for `device`'s kind, and in which dtype.
bool autocastEnabled(const torch::Device& device);
torch::ScalarType autocastDtype(const torch::Device& device);

// State of the default generator of `device` (CPU, or the current CUDA device).
torch::Tensor rngState(const torch::Device& device);
void setRngState(const torch::Device& device, const torch::Tensor& state);

// A 64-bit draw from the default CPU generator (advances its state like any other CPU sampling).
uint64_t nextRandom64();

bool cudaAvailable();

}  // namespace reef::engine::compat
