#include "backend/collections/multimodal/caption_metrics.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <sstream>
#include <stdexcept>

namespace reef::multimodal {

namespace {

std::vector<std::string> words(const std::string& text) {
  std::istringstream in(text);
  std::vector<std::string> out;
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

std::map<std::vector<std::string>, int> ngrams(const std::vector<std::string>& w, size_t n) {
  std::map<std::vector<std::string>, int> out;
  for (size_t i = 0; i + n <= w.size(); ++i)
    ++out[std::vector<std::string>(w.begin() + static_cast<std::ptrdiff_t>(i),
                                   w.begin() + static_cast<std::ptrdiff_t>(i + n))];
  return out;
}

void sameLength(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  if (a.size() != b.size()) throw std::invalid_argument("caption metrics need one reference per hypothesis");
}

}  // namespace

double corpusBleu(const std::vector<std::string>& hypotheses, const std::vector<std::string>& references, int maxN) {
  sameLength(hypotheses, references);
  std::vector<double> matched(static_cast<size_t>(maxN), 0), total(static_cast<size_t>(maxN), 0);
  double hypLength = 0, refLength = 0;
  for (size_t i = 0; i < hypotheses.size(); ++i) {
    const auto h = words(hypotheses[i]), r = words(references[i]);
    hypLength += static_cast<double>(h.size());
    refLength += static_cast<double>(r.size());
    for (int n = 1; n <= maxN; ++n) {
      const auto hn = ngrams(h, static_cast<size_t>(n)), rn = ngrams(r, static_cast<size_t>(n));
      for (const auto& [gram, count] : hn) {
        auto it = rn.find(gram);
        matched[static_cast<size_t>(n - 1)] += std::min(count, it == rn.end() ? 0 : it->second);
        total[static_cast<size_t>(n - 1)] += count;
      }
    }
  }
  if (hypLength == 0) return 0;
  double logPrecision = 0;
  for (int n = 0; n < maxN; ++n) {
    if (matched[static_cast<size_t>(n)] == 0) return 0;
    logPrecision += std::log(matched[static_cast<size_t>(n)] / total[static_cast<size_t>(n)]) / maxN;
  }
  const double brevity = hypLength < refLength ? std::exp(1 - refLength / hypLength) : 1.0;
  return brevity * std::exp(logPrecision);
}

double exactMatch(const std::vector<std::string>& hypotheses, const std::vector<std::string>& references) {
  sameLength(hypotheses, references);
  if (hypotheses.empty()) return 0;
  int64_t same = 0;
  for (size_t i = 0; i < hypotheses.size(); ++i) same += words(hypotheses[i]) == words(references[i]);
  return static_cast<double>(same) / static_cast<double>(hypotheses.size());
}

}  // namespace reef::multimodal
