#include "backend/sweep/importance.h"

#include "backend/sweep/rng.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace reef::sweep {

namespace {

constexpr int kMaxDepth = 10;
constexpr size_t kMinLeaf = 2;

struct Data {
  std::vector<std::vector<double>> x;  // trial -> feature
  std::vector<double> y;
};

struct Node {
  int feature = -1;  // -1: a leaf
  double threshold = 0, value = 0;
  int left = -1, right = -1;
};

class Tree {
 public:
  Tree(const Data& data, std::vector<size_t> rows) : data_(data) { build(rows, 0); }

  double predict(const std::vector<double>& x) const {
    int n = 0;
    while (nodes_[n].feature >= 0) n = x[nodes_[n].feature] <= nodes_[n].threshold ? nodes_[n].left : nodes_[n].right;
    return nodes_[n].value;
  }

 private:
  struct Split {
    int feature = -1;
    double threshold = 0, score = 0;
  };

  // The split of `rows` that lowers the squared error most (sorted scan per feature).
  Split bestSplit(std::vector<size_t>& rows) const {
    Split best;
    const size_t n = rows.size();
    double total = 0;
    for (size_t r : rows) total += data_.y[r];
    for (size_t f = 0; f < data_.x[0].size(); ++f) {
      std::sort(rows.begin(), rows.end(), [&](size_t a, size_t b) { return data_.x[a][f] < data_.x[b][f]; });
      double leftSum = 0;
      for (size_t i = 0; i + 1 < n; ++i) {
        leftSum += data_.y[rows[i]];
        const double a = data_.x[rows[i]][f], b = data_.x[rows[i + 1]][f];
        if (a == b || i + 1 < kMinLeaf || n - i - 1 < kMinLeaf) continue;
        const double nl = static_cast<double>(i + 1), nr = static_cast<double>(n - i - 1);
        // Maximizing sum_l^2/n_l + sum_r^2/n_r minimizes the children's squared error.
        const double score = leftSum * leftSum / nl + (total - leftSum) * (total - leftSum) / nr;
        if (best.feature < 0 || score > best.score) best = {static_cast<int>(f), 0.5 * (a + b), score};
      }
    }
    return best;
  }

  int build(std::vector<size_t>& rows, int depth) {
    const int index = static_cast<int>(nodes_.size());
    nodes_.push_back({});
    double sum = 0;
    for (size_t r : rows) sum += data_.y[r];
    nodes_[index].value = sum / static_cast<double>(rows.size());
    if (depth >= kMaxDepth || rows.size() < 2 * kMinLeaf) return index;
    const Split split = bestSplit(rows);
    if (split.feature < 0) return index;
    std::vector<size_t> left, right;
    for (size_t r : rows) (data_.x[r][split.feature] <= split.threshold ? left : right).push_back(r);
    nodes_[index].feature = split.feature;
    nodes_[index].threshold = split.threshold;
    const int l = build(left, depth + 1);
    const int r = build(right, depth + 1);
    nodes_[index].left = l;
    nodes_[index].right = r;
    return index;
  }

  const Data& data_;
  std::vector<Node> nodes_;
};

Data features(const SearchSpace& space, const std::vector<Trial>& trials) {
  Data d;
  for (const auto& t : trials) {
    if (t.status != TrialStatus::Completed || !t.value || !std::isfinite(*t.value)) continue;
    std::vector<double> row;
    for (const auto& dim : space.dimensions())
      row.push_back(t.params.contains(dim.key) ? dim.toUnit(t.params[dim.key]) : -1.0);
    d.x.push_back(row);
    d.y.push_back(*t.value);
  }
  return d;
}

double squaredError(const Tree& tree, const Data& d, const std::vector<size_t>& rows, int feature,
                    const std::vector<size_t>& shuffled) {
  double error = 0;
  for (size_t i = 0; i < rows.size(); ++i) {
    std::vector<double> x = d.x[rows[i]];
    if (feature >= 0) x[feature] = d.x[shuffled[i]][feature];
    const double e = tree.predict(x) - d.y[rows[i]];
    error += e * e;
  }
  return error;
}

}  // namespace

std::vector<ParameterImportance> parameterImportance(const SearchSpace& space, const std::vector<Trial>& trials,
                                                     uint64_t seed, int trees) {
  const Data data = features(space, trials);
  const size_t n = data.y.size(), f = space.dimensions().size();
  if (n < 4 || f == 0) return {};
  std::vector<double> growth(f, 0.0);
  Rng rng(seed, 0x1f0);
  for (int t = 0; t < trees; ++t) {
    std::vector<size_t> sample(n);
    std::vector<bool> seen(n, false);
    for (auto& s : sample) seen[s = rng.index(n)] = true;
    std::vector<size_t> outOfBag;
    for (size_t i = 0; i < n; ++i)
      if (!seen[i]) outOfBag.push_back(i);
    if (outOfBag.size() < 2) continue;
    const Tree tree(data, sample);
    const double base = squaredError(tree, data, outOfBag, -1, outOfBag);
    for (size_t j = 0; j < f; ++j) {
      std::vector<size_t> shuffled = outOfBag;
      for (size_t i = shuffled.size() - 1; i > 0; --i) std::swap(shuffled[i], shuffled[rng.index(i + 1)]);
      growth[j] += std::max(0.0, squaredError(tree, data, outOfBag, static_cast<int>(j), shuffled) - base);
    }
  }
  const double total = std::accumulate(growth.begin(), growth.end(), 0.0);
  std::vector<ParameterImportance> out;
  for (size_t j = 0; j < f; ++j) out.push_back({space.dimensions()[j].key, total > 0 ? growth[j] / total : 0.0});
  return out;
}

}  // namespace reef::sweep
