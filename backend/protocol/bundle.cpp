#include "backend/protocol/bundle.h"

#include "backend/protocol/atomic_file.h"

#include <algorithm>
#include <fstream>
#include <iterator>
#include <stdexcept>

namespace fs = std::filesystem;

namespace reef::protocol {

namespace {

const std::string kAssetPrefix = "__asset__/";

// Whether an asset's path leaves the data root: empty, absolute, rooted, or through "..".
bool escapesDataRoot(const fs::path& relative) {
  bool escapes =
      relative.empty() || relative.is_absolute() || relative.has_root_name() || relative.has_root_directory();
  for (const auto& part : relative) escapes = escapes || part == "..";
  return escapes;
}

// The path under the data root that an asset tensor names; never one that leaves it.
fs::path assetPath(const std::string& tensorName) {
  const fs::path relative = tensorName.substr(kAssetPrefix.size());
  if (escapesDataRoot(relative))
    throw std::runtime_error("bundle asset '" + relative.string() + "' points outside the data root");
  return relative;
}

}  // namespace

void writeBundle(const fs::path& file, const Json& spec, int64_t step, const std::vector<TensorData>& weights,
                 const std::vector<BundleAsset>& assets) {
  std::vector<TensorData> tensors = weights;
  for (const auto& a : assets) {
    // Refused when written, not only when read: a bundle recreates its files under a data root.
    if (escapesDataRoot(a.path))
      throw std::invalid_argument("bundle asset '" + a.path.string() +
                                  "' is not relative to the data root and inside it: " +
                                  "move the file under the data root and name it from there (e.g. data.tokenizer)");
    tensors.push_back({kAssetPrefix + a.path.generic_string(),
                       DType::U8,
                       {static_cast<int64_t>(a.bytes.size())},
                       a.bytes.data(),
                       a.bytes.size()});
  }
  replaceWhenWritten(file, [&](const fs::path& partial) {
    writeSafetensors(
        partial, tensors,
        {{"format", "reef-bundle"}, {"version", "1"}, {"spec", spec.dump()}, {"step", std::to_string(step)}});
  });
}

Bundle Bundle::open(const fs::path& file) {
  Bundle b(SafetensorsFile::open(file));
  const auto& meta = b.file_.metadata();
  const auto format = meta.find("format");
  if (format == meta.end() || format->second != "reef-bundle")
    throw std::runtime_error(
        "'" + file.string() +
        "' is a safetensors file but not a Reef bundle (write one with reef export --format bundle)");
  if (meta.count("version") == 0 || meta.at("version") != "1" || meta.count("spec") == 0)
    throw std::runtime_error("'" + file.string() + "' is a Reef bundle of a version this reef does not read");
  b.spec_ = Json::parse(meta.at("spec"), nullptr, false);
  if (b.spec_.is_discarded() || !b.spec_.is_object())
    throw std::runtime_error("'" + file.string() + "': its spec is not valid JSON");
  try {
    b.step_ = std::stoll(meta.at("step"));
  } catch (const std::exception&) {
    throw std::runtime_error("'" + file.string() + "': its metadata has no valid step");
  }
  return b;
}

bool Bundle::isAsset(const std::string& tensorName) {
  return tensorName.compare(0, kAssetPrefix.size(), kAssetPrefix) == 0;
}

bool Bundle::assetsMatch(const fs::path& dataRoot) const {
  for (const auto& t : file_.tensors()) {
    if (!isAsset(t.name)) continue;
    std::ifstream in(dataRoot / assetPath(t.name), std::ios::binary);
    if (!in) return false;
    std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (bytes.size() != t.nbytes || !std::equal(bytes.begin(), bytes.end(), reinterpret_cast<const char*>(t.data)))
      return false;
  }
  return true;
}

void Bundle::extractAssets(const fs::path& dataRoot) const {
  for (const auto& t : file_.tensors()) {
    if (!isAsset(t.name)) continue;
    const fs::path out = dataRoot / assetPath(t.name);
    fs::create_directories(out.parent_path());
    std::ofstream f(out, std::ios::binary | std::ios::trunc);
    f.write(reinterpret_cast<const char*>(t.data), static_cast<std::streamsize>(t.nbytes));
    if (!f) throw std::runtime_error("cannot write '" + out.string() + "'");
  }
}

}  // namespace reef::protocol
