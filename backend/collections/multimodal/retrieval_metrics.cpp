#include "backend/collections/multimodal/retrieval_metrics.h"

#include <algorithm>
#include <stdexcept>

namespace reef::multimodal {

Recall recallAtK(const torch::Tensor& similarity, const std::vector<int64_t>& textOf, int64_t k) {
  const int64_t n = similarity.size(0), u = similarity.size(1);
  if (static_cast<int64_t>(textOf.size()) != n) throw std::invalid_argument("recallAtK: one text index per image");
  Recall r;
  if (n == 0 || u == 0) return r;
  const torch::Tensor sim = similarity.to(torch::kCPU, torch::kFloat32);
  const torch::Tensor topTexts = std::get<1>(sim.topk(std::min(k, u), 1));
  const auto tt = topTexts.accessor<int64_t, 2>();
  int64_t hits = 0;
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < tt.size(1); ++j)
      if (tt[i][j] == textOf[static_cast<size_t>(i)]) {
        ++hits;
        break;
      }
  r.imageToText = static_cast<double>(hits) / static_cast<double>(n);
  r.imageToTextChance = static_cast<double>(std::min(k, u)) / static_cast<double>(u);

  std::vector<int64_t> imagesOf(static_cast<size_t>(u), 0);
  for (int64_t t : textOf) ++imagesOf.at(static_cast<size_t>(t));
  const torch::Tensor topImages = std::get<1>(sim.t().topk(std::min(k, n), 1));
  const auto ti = topImages.accessor<int64_t, 2>();
  int64_t texts = 0, textHits = 0;
  double chance = 0;
  for (int64_t t = 0; t < u; ++t) {
    const int64_t m = imagesOf[static_cast<size_t>(t)];
    if (m == 0) continue;  // a text no image of the set has: not a query
    ++texts;
    for (int64_t j = 0; j < ti.size(1); ++j)
      if (textOf[static_cast<size_t>(ti[t][j])] == t) {
        ++textHits;
        break;
      }
    double miss = 1;  // probability that k images drawn at random are all someone else's
    for (int64_t j = 0; j < std::min(k, n); ++j) miss *= static_cast<double>(n - m - j) / static_cast<double>(n - j);
    chance += 1 - std::max(0.0, miss);
  }
  r.textToImage = texts ? static_cast<double>(textHits) / static_cast<double>(texts) : 0;
  r.textToImageChance = texts ? chance / static_cast<double>(texts) : 0;
  return r;
}

}  // namespace reef::multimodal
