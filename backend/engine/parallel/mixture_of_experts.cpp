#include "backend/engine/parallel/mixture_of_experts.h"

#include "backend/engine/core/dense_products.h"
#include "backend/engine/parallel/collective_ops.h"

#include <cmath>
#include <stdexcept>

namespace reef::engine {

MixtureOfExpertsImpl::MixtureOfExpertsImpl(MoeOptions options, std::shared_ptr<ProcessGroup> group)
    : options_(options), group_(std::move(group)) {
  if (options_.experts % group_->size() != 0)
    throw std::invalid_argument("the number of experts (" + std::to_string(options_.experts) +
                                ") must be divisible by the expert-parallel size (" + std::to_string(group_->size()) +
                                ")");
  if (options_.topK < 1 || options_.topK > options_.experts)
    throw std::invalid_argument("top-k must be between 1 and the number of experts");
  localExperts_ = options_.experts / group_->size();
  router = register_module("router",
                           torch::nn::Linear(torch::nn::LinearOptions(options_.dim, options_.experts).bias(false)));
  // Every rank draws the same full set (same RNG) and keeps its slice.
  const double bound1 = 1.0 / std::sqrt(static_cast<double>(options_.dim));
  const double bound2 = 1.0 / std::sqrt(static_cast<double>(options_.hidden));
  const torch::Tensor full1 = torch::empty({options_.experts, options_.hidden, options_.dim}).uniform_(-bound1, bound1);
  const torch::Tensor full2 = torch::empty({options_.experts, options_.dim, options_.hidden}).uniform_(-bound2, bound2);
  const int64_t first = group_->rank() * localExperts_;
  w1 = register_parameter("w1", full1.narrow(0, first, localExperts_).clone());
  w2 = register_parameter("w2", full2.narrow(0, first, localExperts_).clone());
}

torch::Tensor MixtureOfExpertsImpl::forward(const torch::Tensor& x) {
  const int64_t tokens = x.size(0), E = options_.experts, K = options_.topK, ranks = group_->size();
  const torch::Tensor probs = torch::softmax(router->forward(x).to(torch::kFloat32), -1);  // [T, E]
  auto [topProbs, topExperts] = probs.topk(K, -1);                                         // [T, K]
  const torch::Tensor gates = (topProbs / topProbs.sum(-1, true)).to(x.scalar_type());

  // Load balance over the tokens of every rank: counts without gradient, probabilities with.
  torch::Tensor counts = torch::zeros({E}, torch::kFloat32)
                             .index_add_(0, topExperts.reshape(-1).cpu(), torch::ones({tokens * K}, torch::kFloat32));
  torch::Tensor totalTokens = torch::tensor({static_cast<float>(tokens)});
  if (ranks > 1) {
    group_->allReduceSum(counts);
    group_->allReduceSum(totalTokens);
  }
  const double globalTokens = totalTokens.item<double>();
  const torch::Tensor meanProbs = collective::reduceFromGroup(probs.sum(0), group_) / globalTokens;
  aux_ = static_cast<double>(E) * (counts.to(probs.device()) / (globalTokens * K) * meanProbs).sum();

  // Slots: assignment (t, k) in token order per expert, up to the capacity.
  const auto capacity = static_cast<int64_t>(std::ceil(options_.capacityFactor * tokens * K / E));
  const torch::Tensor flatExperts = topExperts.reshape(-1).cpu();  // assignment a = t * K + k
  const int64_t* expertOf = flatExperts.data_ptr<int64_t>();
  std::vector<int64_t> used(static_cast<size_t>(E), 0);
  std::vector<std::vector<int64_t>> byExpert(static_cast<size_t>(E));
  int64_t dropped = 0;
  for (int64_t a = 0; a < tokens * K; ++a) {
    const int64_t e = expertOf[a];
    if (used[static_cast<size_t>(e)] >= capacity) {
      ++dropped;
      continue;
    }
    ++used[static_cast<size_t>(e)];
    byExpert[static_cast<size_t>(e)].push_back(a);
  }
  dropped_ = tokens ? static_cast<double>(dropped) / static_cast<double>(tokens * K) : 0;

  // Send order: by expert, which groups the rows by the rank that owns the expert.
  std::vector<int64_t> order;
  std::vector<int64_t> perExpert(static_cast<size_t>(E));
  for (int64_t e = 0; e < E; ++e) {
    perExpert[static_cast<size_t>(e)] = static_cast<int64_t>(byExpert[static_cast<size_t>(e)].size());
    order.insert(order.end(), byExpert[static_cast<size_t>(e)].begin(), byExpert[static_cast<size_t>(e)].end());
  }
  const torch::Tensor assignment = torch::tensor(order, torch::kInt64).to(x.device());
  const torch::Tensor rows = x.index_select(0, assignment.div(K, "floor"));

  // How many rows each rank sends to each of our experts.
  torch::Tensor sendCounts = torch::tensor(perExpert, torch::kInt64);  // [ranks * local]
  torch::Tensor recvCounts =
      ranks > 1 ? group_
                      ->allToAll(sendCounts.to(torch::kFloat64), std::vector<int64_t>(ranks, localExperts_),
                                 std::vector<int64_t>(ranks, localExperts_))
                      .to(torch::kInt64)
                : sendCounts;  // [source rank * local expert]
  std::vector<int64_t> inSplits(static_cast<size_t>(ranks), 0), outSplits(static_cast<size_t>(ranks), 0);
  for (int64_t r = 0; r < ranks; ++r)
    for (int64_t l = 0; l < localExperts_; ++l) {
      inSplits[static_cast<size_t>(r)] += perExpert[static_cast<size_t>(r * localExperts_ + l)];
      outSplits[static_cast<size_t>(r)] += recvCounts[r * localExperts_ + l].item<int64_t>();
    }
  const torch::Tensor received = collective::allToAll(rows, inSplits, outSplits, group_);

  // Our experts on their rows: blocks ordered (source rank, local expert).
  std::vector<torch::Tensor> pieces;
  std::vector<std::vector<int64_t>> rowsOfExpert(static_cast<size_t>(localExperts_));
  int64_t offset = 0;
  for (int64_t r = 0; r < ranks; ++r)
    for (int64_t l = 0; l < localExperts_; ++l) {
      const int64_t n = recvCounts[r * localExperts_ + l].item<int64_t>();
      for (int64_t i = 0; i < n; ++i) rowsOfExpert[static_cast<size_t>(l)].push_back(offset + i);
      offset += n;
    }
  torch::Tensor computed = torch::zeros_like(received);
  for (int64_t l = 0; l < localExperts_; ++l) {
    if (rowsOfExpert[static_cast<size_t>(l)].empty()) continue;
    const torch::Tensor index = torch::tensor(rowsOfExpert[static_cast<size_t>(l)], torch::kInt64).to(x.device());
    const torch::Tensor in = received.index_select(0, index);
    const torch::Tensor h = torch::silu(denseLinear(in, w1[l]));
    computed = computed.index_add(0, index, denseLinear(h, w2[l]));
  }
  const torch::Tensor back = collective::allToAll(computed, outSplits, inSplits, group_);

  // Combine: each assignment's output weighted by its gate, summed per token.
  const torch::Tensor weights = gates.reshape(-1).index_select(0, assignment).unsqueeze(1);
  return torch::zeros_like(x).index_add(0, assignment.div(K, "floor"), back * weights);
}

TensorParallelLayout expertParallelLayout(torch::nn::Module& module) {
  TensorParallelLayout layout;
  for (const auto& item : module.named_modules("", /*include_self=*/false))
    if (dynamic_cast<MixtureOfExpertsImpl*>(item.value().get())) {
      layout[item.key() + ".w1"] = 0;
      layout[item.key() + ".w2"] = 0;
    }
  return layout;
}

}  // namespace reef::engine
