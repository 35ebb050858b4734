#pragma once
// CTC forced alignment (Viterbi over the blank-interleaved label sequence): which label each frame
// belongs to, for a transcript the audio is known to say. The TTS collection takes its phone
// durations from it (see tts/).
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

}  // namespace reef::asr
