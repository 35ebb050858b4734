#pragma once
// CTC forced alignment (Viterbi over the blank-interleaved label sequence): which label each frame
// belongs to, for a transcript the audio is known to say. The TTS collection takes its phone
// durations from it (see tts/); transcription takes word times from it.
#include <torch/torch.h>

#include <cstdint>
#include <vector>

namespace reef::asr {

// logProbs [T, V] of one utterance (frames used: `frames`), targets: label ids (no blanks).
// Returns per label the number of frames it owns: from the frame it is first emitted up to the
// next label's first frame (the blanks after a label belong to it; frames before the first label
// to the first). Sums to `frames`. Throws when the transcript needs more frames than there are.
std::vector<int64_t> ctcLabelDurations(const torch::Tensor& logProbs, int64_t frames,
                                       const std::vector<int64_t>& targets);

// The frames each label is emitted on in the same alignment (its blanks excluded): first and last,
// for word times. Every label of a valid alignment is emitted on one frame at least.
struct LabelSpan {
  int64_t first = 0, last = 0;
};
std::vector<LabelSpan> ctcLabelSpans(const torch::Tensor& logProbs, int64_t frames,
                                     const std::vector<int64_t>& targets);

}  // namespace reef::asr
