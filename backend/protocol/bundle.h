#pragma once
// A .reef bundle: one safetensors file holding a trained model's weights (checkpoint names), its
// resolved spec and step as metadata, and the data files it needs for inference (its tokenizer)
// as byte tensors named "__asset__/<path under the data root>". The unit that export and deploy
// consume; torch-free, so the studio can read a bundle's spec too.
#include "backend/protocol/json.h"
#include "backend/protocol/safetensors.h"

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace reef::protocol {

struct BundleAsset {
  std::filesystem::path path;  // relative to the data root, e.g. llm/kjv/tokenizer.model
  std::vector<uint8_t> bytes;
};

void writeBundle(const std::filesystem::path& file, const Json& spec, int64_t step,
                 const std::vector<TensorData>& weights, const std::vector<BundleAsset>& assets);

class Bundle {
 public:
  // Throws naming the file when it is not a Reef bundle (or not intact).
  static Bundle open(const std::filesystem::path& file);
  const Json& spec() const { return spec_; }
  int64_t step() const { return step_; }
  const SafetensorsFile& file() const { return file_; }
  static bool isAsset(const std::string& tensorName);
  // Writes the assets under `dataRoot` at their paths.
  void extractAssets(const std::filesystem::path& dataRoot) const;
  // Whether `dataRoot` already holds every asset, byte for byte (then its datasets are the
  // model's own, and evaluation can use them).
  bool assetsMatch(const std::filesystem::path& dataRoot) const;

 private:
  explicit Bundle(SafetensorsFile file) : file_(std::move(file)) {}
  SafetensorsFile file_;
  Json spec_;
  int64_t step_ = 0;
};

}  // namespace reef::protocol
