#include "backend/collections/asr/ctc_decoding.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <numeric>

namespace reef::asr {

namespace {

constexpr double kNegInf = -std::numeric_limits<double>::infinity();

double logAdd(double a, double b) {
  if (a == kNegInf) return b;
  if (b == kNegInf) return a;
  const double m = std::max(a, b);
  return m + std::log1p(std::exp(-std::abs(a - b)));
}

struct PrefixScore {
  double blank = kNegInf, label = kNegInf;  // ending in a blank / in the prefix's last label
  PrefixScorer::State lm;
  double acoustic() const { return logAdd(blank, label); }
  double total() const { return acoustic() + lm.score; }
};

}  // namespace

std::vector<int64_t> ctcGreedy(const torch::Tensor& logProbs, int64_t frames) {
  const auto best = logProbs.narrow(0, 0, frames).argmax(1).to(torch::kCPU);
  const auto* p = best.data_ptr<int64_t>();
  std::vector<int64_t> out;
  int64_t previous = 0;
  for (int64_t t = 0; t < frames; ++t) {
    if (p[t] != 0 && p[t] != previous) out.push_back(p[t]);
    previous = p[t];
  }
  return out;
}

std::vector<int64_t> ctcBeamSearch(const torch::Tensor& logProbs, int64_t frames, const BeamOptions& options,
                                   const PrefixScorer* scorer) {
  const auto lp = logProbs.narrow(0, 0, frames).to(torch::kCPU, torch::kFloat64).contiguous();
  const int64_t vocab = lp.size(1);
  const double* data = lp.data_ptr<double>();
  std::map<std::vector<int64_t>, PrefixScore> beams;
  beams[{}].blank = 0;
  std::vector<int64_t> order(static_cast<size_t>(vocab));
  for (int64_t t = 0; t < frames; ++t) {
    const double* row = data + t * vocab;
    std::iota(order.begin(), order.end(), 0);
    const auto keep = std::min<int64_t>(options.labelsPerFrame, vocab);
    std::partial_sort(order.begin(), order.begin() + keep, order.end(),
                      [&](int64_t a, int64_t b) { return row[a] > row[b]; });
    std::map<std::vector<int64_t>, PrefixScore> next;
    // A prefix seen for the first time takes its language model state from the prefix it extends.
    auto slot = [&](const std::vector<int64_t>& prefix, const PrefixScore& from, int64_t label) -> PrefixScore& {
      auto [it, fresh] = next.try_emplace(prefix);
      if (fresh) {
        const auto known = beams.find(prefix);
        it->second.lm = known != beams.end()  ? known->second.lm
                        : scorer && label > 0 ? scorer->extend(from.lm, label)
                                              : from.lm;
      }
      return it->second;
    };
    for (const auto& [prefix, score] : beams) {
      // Blank: the prefix stays, now ending in a blank.
      auto& same = slot(prefix, score, 0);
      same.blank = logAdd(same.blank, score.acoustic() + row[0]);
      for (int64_t k = 0; k < keep; ++k) {
        const int64_t c = order[static_cast<size_t>(k)];
        if (c == 0 || row[c] < options.pruneBelow) continue;
        auto longer = prefix;
        longer.push_back(c);
        if (!prefix.empty() && prefix.back() == c) {
          // The same label again: it extends the prefix only after a blank; otherwise it merges.
          auto& merged = slot(prefix, score, 0);
          merged.label = logAdd(merged.label, score.label + row[c]);
          auto& extended = slot(longer, score, c);
          extended.label = logAdd(extended.label, score.blank + row[c]);
        } else {
          auto& extended = slot(longer, score, c);
          extended.label = logAdd(extended.label, score.acoustic() + row[c]);
        }
      }
    }
    std::vector<std::pair<std::vector<int64_t>, PrefixScore>> ranked(next.begin(), next.end());
    const auto width = std::min<size_t>(static_cast<size_t>(options.width), ranked.size());
    std::partial_sort(ranked.begin(), ranked.begin() + static_cast<std::ptrdiff_t>(width), ranked.end(),
                      [](const auto& a, const auto& b) { return a.second.total() > b.second.total(); });
    beams.clear();
    for (size_t i = 0; i < width; ++i) beams.insert(ranked[i]);
  }
  auto final = [&](const PrefixScore& s) { return s.acoustic() + (scorer ? scorer->finish(s.lm) : 0.0); };
  const auto best = std::max_element(beams.begin(), beams.end(),
                                     [&](const auto& a, const auto& b) { return final(a.second) < final(b.second); });
  return best->first;
}

}  // namespace reef::asr
