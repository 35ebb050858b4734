#pragma once
// What `reef export` verifies after writing: each file is read back by a reader independent of
// its writer and compared with the model it came from, so that a truncated file, a missing tensor
// or a value changed on the way is caught before anyone deploys it.
#include "backend/engine/core/exporter.h"
#include "backend/engine/core/tensor_io.h"

#include <filesystem>
#include <string>
#include <vector>

namespace reef::exporting {

using engine::ExportCheck;

// A safetensors file (a bundle's, or a Hugging Face model.safetensors): every tensor in `expected`
// present with the same shape and values (in the stored type), and nothing else but bundle assets.
ExportCheck checkSafetensorsWeights(const std::filesystem::path& file, const engine::NamedTensors& expected);
// A bundle opens as one (spec, step) and carries `assets` files.
ExportCheck checkBundleMetadata(const std::filesystem::path& file, const Json& spec, int64_t step, size_t assets);
// A GGUF file read whole by GgufReader: its metadata, `tensors` tensors inside the file, every value
// finite.
ExportCheck checkGgufFile(const std::filesystem::path& file, uint64_t tensors);

}  // namespace reef::exporting
