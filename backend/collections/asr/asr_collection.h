#pragma once
#include "backend/collections/asr/asr_model.h"
#include "backend/engine/core/registry.h"

#include <filesystem>
#include <memory>
#include <string>

namespace reef::asr {

// Speech recognition with CTC: collection "asr", models "quartznet" and "conformer".
void registerAsrCollection(engine::Registry& registry);

// The `data` keys of the spectrogram (sample_rate, n_fft, win_length, hop, n_mels), shared with TTS.
protocol::Section spectrogramParams();

// The ASR model a resolved asr spec describes (either architecture).
std::unique_ptr<AsrModel> buildAsrModel(const engine::ModelContext& context);
// A trained ASR run (directory, checkpoint folder) with its latest weights, for other models that
// use one (the TTS aligner and intelligibility judge). `key` names the spec key in errors.
std::unique_ptr<AsrModel> loadTrainedAsr(const std::filesystem::path& run, const std::filesystem::path& dataRoot,
                                         const std::string& key);

}  // namespace reef::asr
