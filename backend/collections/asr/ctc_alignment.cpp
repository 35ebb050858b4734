#include "backend/collections/asr/ctc_alignment.h"

#include <limits>
#include <stdexcept>
#include <string>

namespace reef::asr {

namespace {

// The most likely path's state per frame (state 2i + 1: label i emitted; even states: blanks).
std::vector<int64_t> viterbiStates(const torch::Tensor& logProbs, int64_t frames, const std::vector<int64_t>& targets) {
  const auto n = static_cast<int64_t>(targets.size());
  if (n == 0) throw std::invalid_argument("forced alignment: empty transcript");
  int64_t needed = n;
  for (int64_t i = 1; i < n; ++i) needed += targets[static_cast<size_t>(i)] == targets[static_cast<size_t>(i - 1)];
  if (needed > frames)
    throw std::invalid_argument("forced alignment: the transcript needs " + std::to_string(needed) +
                                " frames but the audio has " + std::to_string(frames));
  const auto lp = logProbs.narrow(0, 0, frames).to(torch::kCPU, torch::kFloat64).contiguous();
  const double* data = lp.data_ptr<double>();
  const int64_t vocab = lp.size(1), states = 2 * n + 1;  // blank, l1, blank, l2, ..., blank
  auto label = [&](int64_t s) { return s % 2 == 0 ? 0 : targets[static_cast<size_t>(s / 2)]; };
  constexpr double kNegInf = -std::numeric_limits<double>::infinity();
  std::vector<double> score(static_cast<size_t>(states), kNegInf), next(static_cast<size_t>(states));
  std::vector<int8_t> back(static_cast<size_t>(frames * states), 0);  // 0: stay, 1: from s-1, 2: from s-2
  score[0] = data[0];
  score[1] = data[label(1)];
  for (int64_t t = 1; t < frames; ++t) {
    for (int64_t s = 0; s < states; ++s) {
      double best = score[static_cast<size_t>(s)];
      int8_t from = 0;
      if (s >= 1 && score[static_cast<size_t>(s - 1)] > best) best = score[static_cast<size_t>(s - 1)], from = 1;
      if (s >= 2 && s % 2 == 1 && label(s) != label(s - 2) && score[static_cast<size_t>(s - 2)] > best)
        best = score[static_cast<size_t>(s - 2)], from = 2;
      next[static_cast<size_t>(s)] = best + data[t * vocab + label(s)];
      back[static_cast<size_t>(t * states + s)] = from;
    }
    std::swap(score, next);
  }
  int64_t s = score[static_cast<size_t>(states - 1)] > score[static_cast<size_t>(states - 2)] ? states - 1 : states - 2;
  std::vector<int64_t> stateOf(static_cast<size_t>(frames));
  for (int64_t t = frames - 1; t >= 0; --t) {
    stateOf[static_cast<size_t>(t)] = s;
    if (t > 0) s -= back[static_cast<size_t>(t * states + s)];
  }
  return stateOf;
}

}  // namespace

std::vector<int64_t> ctcLabelDurations(const torch::Tensor& logProbs, int64_t frames,
                                       const std::vector<int64_t>& targets) {
  const std::vector<int64_t> stateOf = viterbiStates(logProbs, frames, targets);
  const auto n = static_cast<int64_t>(targets.size());
  // A frame belongs to the last label emitted at or before it (the first label for leading blanks).
  std::vector<int64_t> durations(static_cast<size_t>(n), 0);
  int64_t current = 0;
  for (int64_t t = 0; t < frames; ++t) {
    const int64_t st = stateOf[static_cast<size_t>(t)];
    if (st % 2 == 1) current = st / 2;
    ++durations[static_cast<size_t>(current)];
  }
  return durations;
}

std::vector<LabelSpan> ctcLabelSpans(const torch::Tensor& logProbs, int64_t frames,
                                     const std::vector<int64_t>& targets) {
  const std::vector<int64_t> stateOf = viterbiStates(logProbs, frames, targets);
  std::vector<LabelSpan> spans(targets.size(), LabelSpan{-1, -1});
  for (int64_t t = 0; t < frames; ++t) {
    const int64_t st = stateOf[static_cast<size_t>(t)];
    if (st % 2 == 0) continue;
    LabelSpan& span = spans[static_cast<size_t>(st / 2)];
    if (span.first < 0) span.first = t;
    span.last = t;
  }
  return spans;
}

}  // namespace reef::asr
