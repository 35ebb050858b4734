#pragma once
// Caption measures on whitespace-separated words. Torch-free.
#include <string>
#include <vector>

namespace reef::multimodal {

// Corpus BLEU (Papineni et al. 2002) with one reference per hypothesis: the modified n-gram
// precisions for n = 1..maxN summed over the corpus, their geometric mean, times the brevity
// penalty exp(1 - r / c) when the hypotheses are shorter than the references. In [0, 1]; 0 when
// some order has no match at all (no smoothing).
double corpusBleu(const std::vector<std::string>& hypotheses, const std::vector<std::string>& references, int maxN = 4);

// The share of hypotheses equal to their reference.
double exactMatch(const std::vector<std::string>& hypotheses, const std::vector<std::string>& references);

}  // namespace reef::multimodal
