#pragma once
// CTC decoders over one utterance's log-probabilities [T, V] (blank = 0): greedy (best label per
// frame, repeats merged, blanks dropped) and prefix beam search (sums the probability of every
// alignment of a prefix, which greedy cannot).
#include <torch/torch.h>

#include <cstdint>
#include <string>
#include <vector>

namespace reef::asr {

std::vector<int64_t> ctcGreedy(const torch::Tensor& logProbs, int64_t frames);

// The language model's share of a beam's score, kept per prefix as its text grows label by label
// (see word_language_model.h).
class PrefixScorer {
 public:
  struct State {
    std::string previous = "<s>", partial;  // last complete word, the word being spelt
    double score = 0;                       // log-domain, already weighted
    bool offLexicon = false;                // the partial word is no known word's beginning
  };
  virtual ~PrefixScorer() = default;
  virtual State extend(const State& state, int64_t label) const = 0;
  // The score once the utterance ends here (the last word and the end of the sentence).
  virtual double finish(const State& state) const = 0;
};

struct BeamOptions {
  int width = 8;
  int labelsPerFrame = 8;     // only each frame's most likely labels extend a prefix
  double pruneBelow = -12.0;  // ... and only those with log-probability above this
};
// With a scorer, prefixes are ranked by acoustic + language model score (shallow fusion).
std::vector<int64_t> ctcBeamSearch(const torch::Tensor& logProbs, int64_t frames, const BeamOptions& options = {},
                                   const PrefixScorer* scorer = nullptr);

}  // namespace reef::asr
