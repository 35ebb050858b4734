#include "backend/export/formats/export_checks.h"

#include "backend/protocol/bundle.h"

#include <fstream>

namespace fs = std::filesystem;

namespace reef::exporting {

ExportCheck checkSafetensorsWeights(const fs::path& file, const engine::NamedTensors& expected) {
  ExportCheck c{"weights read back equal", false, ""};
  try {
    auto stored = engine::loadTensors(file);
    size_t compared = 0;
    for (const auto& [name, tensor] : expected) {
      auto it = stored.find(name);
      if (it == stored.end()) {
        c.detail = "tensor '" + name + "' is missing";
        return c;
      }
      const torch::Tensor want = tensor.detach().to(torch::kCPU).to(it->second.scalar_type());
      if (it->second.sizes() != want.sizes() || !torch::equal(it->second, want)) {
        c.detail = "tensor '" + name + "' differs from the model's";
        return c;
      }
      stored.erase(it);
      ++compared;
    }
    for (const auto& [name, t] : stored)
      if (!protocol::Bundle::isAsset(name)) {
        c.detail = "unexpected tensor '" + name + "'";
        return c;
      }
    c.passed = true;
    c.detail = std::to_string(compared) + " tensors, bit for bit";
  } catch (const std::exception& e) {
    c.detail = e.what();
  }
  return c;
}

ExportCheck checkBundleMetadata(const fs::path& file, const Json& spec, int64_t step, size_t assets) {
  ExportCheck c{"bundle opens with its spec, step and assets", false, ""};
  try {
    const protocol::Bundle b = protocol::Bundle::open(file);
    size_t found = 0;
    for (const auto& e : b.file().tensors()) found += protocol::Bundle::isAsset(e.name);
    if (b.spec() != spec)
      c.detail = "the spec inside differs from the run's";
    else if (b.step() != step)
      c.detail = "step " + std::to_string(b.step()) + " instead of " + std::to_string(step);
    else if (found != assets)
      c.detail = std::to_string(found) + " assets instead of " + std::to_string(assets);
    else {
      c.passed = true;
      c.detail = "step " + std::to_string(step) + ", " + std::to_string(assets) + " asset(s)";
    }
  } catch (const std::exception& e) {
    c.detail = e.what();
  }
  return c;
}

ExportCheck checkGgufHeader(const fs::path& file, uint64_t tensors) {
  ExportCheck c{"GGUF header read back", false, ""};
  std::ifstream in(file, std::ios::binary);
  char magic[4] = {};
  uint32_t version = 0;
  uint64_t count = 0, kv = 0;
  in.read(magic, 4);
  in.read(reinterpret_cast<char*>(&version), 4);
  in.read(reinterpret_cast<char*>(&count), 8);
  in.read(reinterpret_cast<char*>(&kv), 8);
  if (!in || std::string(magic, 4) != "GGUF")
    c.detail = "not a GGUF file";
  else if (version != 3)
    c.detail = "version " + std::to_string(version);
  else if (count != tensors)
    c.detail = std::to_string(count) + " tensors instead of " + std::to_string(tensors);
  else {
    c.passed = true;
    c.detail = "version 3, " + std::to_string(count) + " tensors, " + std::to_string(kv) + " metadata keys, " +
               std::to_string(fs::file_size(file)) + " bytes";
  }
  return c;
}

}  // namespace reef::exporting
