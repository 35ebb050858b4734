#include "nlp/nlp_files.h"

#include <stdexcept>

namespace fs = std::filesystem;

namespace reef::nlp {

fs::path underDataRoot(const fs::path& root, const std::string& path) {
  const fs::path p(path);
  return p.is_absolute() ? p : root / p;
}

llm::Tokenizer loadTokenizer(const fs::path& path) {
  if (!fs::exists(path))
    throw std::runtime_error("no tokenizer at '" + path.string() + "': run scripts/prepare-data.sh, or train one with " +
                             "`reef tokenizer train --input TEXTS --out " + path.string() + "` (data.tokenizer)");
  return llm::Tokenizer::load(path);
}

int padId(const llm::Tokenizer& tokenizer) { return tokenizer.pad() >= 0 ? tokenizer.pad() : tokenizer.unk(); }

}  // namespace reef::nlp
