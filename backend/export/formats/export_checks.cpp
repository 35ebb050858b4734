#include "backend/export/formats/export_checks.h"

#include "backend/export/gguf/gguf_reader.h"
#include "backend/protocol/bundle.h"

#include <cmath>
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

ExportCheck checkGgufFile(const fs::path& file, uint64_t tensors) {
  ExportCheck c{"GGUF file read back", false, ""};
  try {
    const GgufFile g = readGguf(file);
    if (g.tensors.size() != tensors) {
      c.detail = std::to_string(g.tensors.size()) + " tensors instead of " + std::to_string(tensors);
      return c;
    }
    for (const GgufTensorInfo& t : g.tensors)
      for (float v : readGgufTensor(file, t))
        if (!std::isfinite(v)) {
          c.detail = "tensor '" + t.name + "' holds " + std::to_string(v);
          return c;
        }
    c.passed = true;
    c.detail = "version " + std::to_string(g.version) + ", " + std::to_string(g.tensors.size()) +
               " tensors read back finite, " + std::to_string(g.metadata.size()) + " metadata keys, " +
               std::to_string(g.fileSize) + " bytes";
  } catch (const std::exception& e) {
    c.detail = e.what();
  }
  return c;
}

}  // namespace reef::exporting
