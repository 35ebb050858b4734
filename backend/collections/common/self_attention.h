#pragma once
// Multi-head scaled dot-product self-attention over a fused query/key/value projection: the core
// the transformer encoder block, the Conformer and FastPitch share (each keeps its own
// projections, norms and dropout flavour).
#include <torch/torch.h>

#include <functional>

namespace reef::collections {

// qkv [B, T, 3 * D] (queries, keys, values side by side); keyPadding [B, T] bool, true where a
// position is padding (never attended to), or undefined. dropWeights is applied to the attention
// weights. Returns [B, T, D], the heads concatenated.
torch::Tensor selfAttention(const torch::Tensor& qkv, const torch::Tensor& keyPadding, int64_t heads,
                            const std::function<torch::Tensor(const torch::Tensor&)>& dropWeights);

}  // namespace reef::collections
