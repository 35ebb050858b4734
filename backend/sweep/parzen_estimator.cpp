#include "backend/sweep/parzen_estimator.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace reef::sweep {

namespace {

constexpr double kPriorWeight = 1.0;

double normalCdf(double z) { return 0.5 * std::erfc(-z / std::sqrt(2.0)); }

double logSumExp(const std::vector<double>& terms) {
  const double top = *std::max_element(terms.begin(), terms.end());
  if (!std::isfinite(top)) return top;
  double sum = 0;
  for (double t : terms) sum += std::exp(t - top);
  return top + std::log(sum);
}

}  // namespace

std::vector<double> recencyWeights(size_t n) {
  std::vector<double> w(n, 1.0);
  if (n < 25) return w;
  const size_t ramp = n - 25;
  for (size_t i = 0; i < ramp; ++i)
    w[i] = ramp == 1 ? 1.0 / static_cast<double>(n)
                     : 1.0 / static_cast<double>(n) + (1.0 - 1.0 / static_cast<double>(n)) * static_cast<double>(i) /
                                                          static_cast<double>(ramp - 1);
  return w;
}

ParzenEstimator ParzenEstimator::numeric(const std::vector<double>& points, const std::vector<double>& weights,
                                         double low, double high, std::optional<double> sigma) {
  ParzenEstimator p;
  p.low_ = low;
  p.high_ = high;
  p.mus_ = points;
  p.weights_ = weights;
  p.mus_.push_back(0.5 * (low + high));  // the prior
  p.weights_.push_back(kPriorWeight);
  // (Optuna counts the range's two ends among the points here.)
  const double minSigma = (high - low) / std::min(100.0, 3.0 + static_cast<double>(p.mus_.size()));
  p.sigmas_.assign(p.mus_.size(), sigma.value_or(high - low));
  if (!sigma) {
    // Each kernel as wide as the larger gap to its sorted neighbours (the range's ends at the edges).
    std::vector<size_t> order(p.mus_.size());
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return p.mus_[a] < p.mus_[b]; });
    for (size_t r = 0; r < order.size(); ++r) {
      const double left = r == 0 ? low : p.mus_[order[r - 1]];
      const double right = r + 1 == order.size() ? high : p.mus_[order[r + 1]];
      const double mu = p.mus_[order[r]];
      double width = std::max(mu - left, right - mu);
      if (order.size() >= 3 && r == 0) width = right - mu;  // the ends do not count as neighbours
      if (order.size() >= 3 && r + 1 == order.size()) width = mu - left;
      p.sigmas_[order[r]] = width;
    }
  }
  for (auto& s : p.sigmas_) s = std::clamp(s, minSigma, high - low);
  p.sigmas_.back() = high - low;
  const double total = std::accumulate(p.weights_.begin(), p.weights_.end(), 0.0);
  for (auto& w : p.weights_) w /= total;
  return p;
}

ParzenEstimator ParzenEstimator::categorical(const std::vector<size_t>& indices, const std::vector<double>& weights,
                                             size_t choices) {
  ParzenEstimator p;
  p.categorical_ = true;
  p.choices_ = choices;
  for (size_t i : indices) p.mus_.push_back(static_cast<double>(i));
  p.weights_ = weights;
  p.weights_.push_back(kPriorWeight);
  const double total = std::accumulate(p.weights_.begin(), p.weights_.end(), 0.0);
  for (auto& w : p.weights_) w /= total;
  return p;
}

double ParzenEstimator::logWeight(size_t k) const { return std::log(weights_[k]); }

size_t ParzenEstimator::pickComponent(Rng& rng) const {
  double u = rng.uniform();
  size_t k = 0;
  while (k + 1 < weights_.size() && u >= weights_[k]) u -= weights_[k++];
  return k;
}

double ParzenEstimator::sampleKernel(size_t k, Rng& rng) const {
  if (categorical_) {
    // An observation's kernel: (prior / n + one-hot) / (1 + prior), as in Optuna; the prior is uniform.
    const bool prior = k + 1 == weights_.size();
    const double n = static_cast<double>(choices_);
    double u = rng.uniform() * (prior ? 1.0 : 1.0 + kPriorWeight);
    if (!prior && u < 1.0) return mus_[k];
    if (!prior) u -= 1.0;
    return std::min(n - 1, std::floor(u / (prior ? 1.0 : kPriorWeight) * n));
  }
  for (int tries = 0; tries < 100; ++tries) {  // a truncated normal by rejection (sigma <= range)
    const double x = mus_[k] + sigmas_[k] * rng.normal();
    if (x >= low_ && x <= high_) return x;
  }
  return std::clamp(mus_[k], low_, high_);
}

double ParzenEstimator::logKernel(size_t k, double x, std::optional<double> bin) const {
  if (categorical_) {
    const double n = static_cast<double>(choices_);
    if (k + 1 == weights_.size()) return -std::log(n);
    return std::log((kPriorWeight / n + (x == mus_[k] ? 1.0 : 0.0)) / (1.0 + kPriorWeight));
  }
  const double s = sigmas_[k];
  const double mass = normalCdf((high_ - mus_[k]) / s) - normalCdf((low_ - mus_[k]) / s);
  double logP;
  if (bin) {
    const double a = std::max(low_, x - *bin / 2), b = std::min(high_, x + *bin / 2);
    logP = std::log(std::max(normalCdf((b - mus_[k]) / s) - normalCdf((a - mus_[k]) / s), 1e-300));
  } else {
    const double z = (x - mus_[k]) / s;
    logP = -0.5 * z * z - std::log(s * std::sqrt(2 * M_PI));
  }
  return logP - std::log(std::max(mass, 1e-300));
}

double ParzenEstimator::logDensity(double x, std::optional<double> bin) const {
  std::vector<double> terms(weights_.size());
  for (size_t k = 0; k < terms.size(); ++k) terms[k] = logWeight(k) + logKernel(k, x, bin);
  return logSumExp(terms);
}

double jointLogDensity(const std::vector<ParzenEstimator>& dims, const std::vector<double>& x,
                       const std::vector<std::optional<double>>& bins) {
  std::vector<double> terms(dims.front().components());
  for (size_t k = 0; k < terms.size(); ++k) {
    terms[k] = dims.front().logWeight(k);
    for (size_t d = 0; d < dims.size(); ++d) terms[k] += dims[d].logKernel(k, x[d], bins[d]);
  }
  return logSumExp(terms);
}

}  // namespace reef::sweep
