// .reef bundles (what `reef serve` and export open): the spec and step from the metadata, and the
// assets extracted under a data root. An asset must never land outside that root.
#include "backend/protocol/bundle.h"
#include "fuzz/fuzz_input.h"

using namespace reef;
namespace fs = std::filesystem;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const fs::path file = fuzz::asFile(data, size, ".reef");
  const fs::path scratch = file.parent_path() / "bundle";
  fs::remove_all(scratch);
  const fs::path root = scratch / "a" / "b" / "data";
  fs::create_directories(root);
  try {
    const auto bundle = protocol::Bundle::open(file);
    (void)bundle.spec().dump();
    bundle.extractAssets(root);
    bundle.assetsMatch(root);
  } catch (const std::exception&) {
  }
  for (const auto& entry : fs::recursive_directory_iterator(scratch)) {
    const auto relative = entry.path().lexically_relative(root);
    if (relative.empty() || *relative.begin() == "..")
      if (entry.path() != scratch / "a" && entry.path() != scratch / "a" / "b")
        fuzz::finding("a bundle asset was written outside the data root: " + entry.path().string());
  }
  return 0;
}
