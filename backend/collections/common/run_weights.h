#pragma once
// Weights of another trained run that a model starts from or uses (a CLIP encoder for the
// captioner, an ASR model for the TTS aligner).
#include <filesystem>
#include <string>

namespace reef::collections {

// `target`: a run directory (its latest checkpoint), a checkpoints/step-<N> folder, or a
// .safetensors file -> the safetensors file. `key` names the spec key in error messages.
std::filesystem::path trainedWeights(const std::filesystem::path& target, const std::string& key);

}  // namespace reef::collections
