#pragma once
// Dropout with a counter-based random mask: element i of a call is kept when a hash of
// (seed, i) clears the threshold, so masks are generated in parallel, are the same for any thread
// count, and cost a fraction of LibTorch's CPU bernoulli_ (which draws from one locked generator,
// one element at a time). The per-call seed comes from the default generator, so checkpointed RNG
// state still makes resumed runs bit-exact. On CUDA, LibTorch's own dropout is used.
#include <torch/torch.h>

namespace reef::engine {

torch::Tensor dropout(const torch::Tensor& input, double p, bool training);

}  // namespace reef::engine
