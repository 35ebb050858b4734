#include "backend/protocol/audio/word_errors.h"

#include <algorithm>
#include <cmath>
#include <sstream>

namespace reef::protocol::audio {

double ErrorCounts::rate() const {
  if (referenceLength == 0) return errors() == 0 ? 0.0 : static_cast<double>(errors());
  return static_cast<double>(errors()) / static_cast<double>(referenceLength);
}

ErrorCounts& ErrorCounts::operator+=(const ErrorCounts& o) {
  substitutions += o.substitutions;
  insertions += o.insertions;
  deletions += o.deletions;
  referenceLength += o.referenceLength;
  return *this;
}

namespace {

// How different two tokens are, in [0, 1]: their character edit distance over the longer length.
double dissimilarity(const std::string& a, const std::string& b) {
  if (a == b) return 0;
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = up;
    }
  }
  return static_cast<double>(row[b.size()]) / static_cast<double>(std::max(a.size(), b.size()));
}

// Edits first; among alignments with as few edits, the one whose substitutions pair the most
// similar words ("john"/"jon" rather than "john"/"at"), so that marked errors sit where a reader
// expects them.
struct Cost {
  int64_t edits = 0;
  double mismatch = 0;
  bool operator<(const Cost& o) const { return edits != o.edits ? edits < o.edits : mismatch < o.mismatch - 1e-12; }
  bool operator==(const Cost& o) const { return edits == o.edits && std::abs(mismatch - o.mismatch) <= 1e-12; }
};

}  // namespace

std::vector<AlignedToken> align(const std::vector<std::string>& ref, const std::vector<std::string>& hyp) {
  const size_t n = ref.size(), m = hyp.size();
  std::vector<std::vector<Cost>> cost(n + 1, std::vector<Cost>(m + 1));
  // Insertions and deletions weigh a full mismatch each.
  for (size_t i = 0; i <= n; ++i) cost[i][0] = {static_cast<int64_t>(i), static_cast<double>(i)};
  for (size_t j = 0; j <= m; ++j) cost[0][j] = {static_cast<int64_t>(j), static_cast<double>(j)};
  auto diagonal = [&](size_t i, size_t j) {
    const double d = dissimilarity(ref[i - 1], hyp[j - 1]);
    return Cost{cost[i - 1][j - 1].edits + (d > 0 ? 1 : 0), cost[i - 1][j - 1].mismatch + d};
  };
  auto up = [&](size_t i, size_t j) { return Cost{cost[i - 1][j].edits + 1, cost[i - 1][j].mismatch + 1}; };
  auto left = [&](size_t i, size_t j) { return Cost{cost[i][j - 1].edits + 1, cost[i][j - 1].mismatch + 1}; };
  for (size_t i = 1; i <= n; ++i)
    for (size_t j = 1; j <= m; ++j) cost[i][j] = std::min({diagonal(i, j), up(i, j), left(i, j)});
  std::vector<AlignedToken> out;
  size_t i = n, j = m;
  while (i > 0 || j > 0) {
    if (i > 0 && j > 0 && cost[i][j] == diagonal(i, j)) {
      out.push_back({ref[i - 1] == hyp[j - 1] ? EditOp::Correct : EditOp::Substitution, ref[i - 1], hyp[j - 1]});
      --i, --j;
    } else if (i > 0 && cost[i][j] == up(i, j)) {
      out.push_back({EditOp::Deletion, ref[i - 1], ""});
      --i;
    } else {
      out.push_back({EditOp::Insertion, "", hyp[j - 1]});
      --j;
    }
  }
  std::reverse(out.begin(), out.end());
  return out;
}

ErrorCounts countErrors(const std::vector<AlignedToken>& alignment) {
  ErrorCounts c;
  for (const auto& t : alignment) {
    if (t.op != EditOp::Insertion) ++c.referenceLength;
    if (t.op == EditOp::Substitution) ++c.substitutions;
    if (t.op == EditOp::Insertion) ++c.insertions;
    if (t.op == EditOp::Deletion) ++c.deletions;
  }
  return c;
}

std::vector<std::string> words(const std::string& text) {
  std::istringstream in(text);
  std::vector<std::string> out;
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

std::vector<std::string> characters(const std::string& text) {
  std::vector<std::string> out;
  for (size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    const size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xe ? 3 : (c >> 3) == 0x1e ? 4 : 1;
    out.push_back(text.substr(i, len));
    i += len;
  }
  return out;
}

ErrorCounts wordErrors(const std::string& reference, const std::string& hypothesis) {
  return countErrors(align(words(reference), words(hypothesis)));
}

ErrorCounts characterErrors(const std::string& reference, const std::string& hypothesis) {
  // Runs of spaces count as one, so that spacing alone is not an error.
  auto squeeze = [](const std::string& s) {
    std::string joined;
    for (const auto& w : words(s)) joined += (joined.empty() ? "" : " ") + w;
    return joined;
  };
  return countErrors(align(characters(squeeze(reference)), characters(squeeze(hypothesis))));
}

}  // namespace reef::protocol::audio
