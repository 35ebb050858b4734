#include "backend/collections/common/run_weights.h"

#include <algorithm>
#include <regex>
#include <stdexcept>

namespace fs = std::filesystem;

namespace reef::collections {

fs::path trainedWeights(const fs::path& target, const std::string& key) {
  fs::path file = target;
  if (fs::is_directory(file / "checkpoints")) {
    int64_t latest = -1;
    const std::regex stepName("step-([0-9]+)");
    for (const auto& entry : fs::directory_iterator(file / "checkpoints")) {
      std::smatch match;
      const std::string name = entry.path().filename().string();
      if (std::regex_match(name, match, stepName) && fs::exists(entry.path() / "model.safetensors"))
        latest = std::max<int64_t>(latest, std::stoll(match[1].str()));
    }
    if (latest < 0) throw std::runtime_error(key + ": run '" + target.string() + "' has no checkpoint yet");
    file = file / "checkpoints" / ("step-" + std::to_string(latest));
  }
  if (fs::is_directory(file)) file /= "model.safetensors";
  if (!fs::exists(file))
    throw std::runtime_error(key + ": '" + target.string() +
                             "' is not a run directory, a checkpoints/step-<N> folder or a .safetensors file");
  return file;
}

}  // namespace reef::collections
