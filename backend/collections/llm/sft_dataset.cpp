#include "backend/collections/llm/sft_dataset.h"

#include "backend/protocol/json.h"

#include <algorithm>
#include <fstream>
#include <stdexcept>

namespace reef::llm {

SftExamples loadSftExamples(const std::filesystem::path& jsonl, const text::Tokenizer& tokenizer, int64_t context) {
  std::ifstream in(jsonl);
  if (!in) throw std::runtime_error("cannot read the fine-tuning data '" + jsonl.string() + "'");
  SftExamples out;
  std::string line;
  int64_t lineNo = 0, index = 0;
  while (std::getline(in, line)) {
    ++lineNo;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    const Json j = Json::parse(line, nullptr, false);
    const std::string where = jsonl.string() + ":" + std::to_string(lineNo);
    if (j.is_discarded() || !j.is_object())
      throw std::runtime_error(where + ": not a JSON object (each line must be {\"input\": ..., \"output\": ...})");
    if (!j.contains("input") || !j["input"].is_string() || !j.contains("output") || !j["output"].is_string())
      throw std::runtime_error(where + ": needs string fields \"input\" and \"output\"");
    SftExample e;
    e.tokens = tokenizer.encode(j["input"].get<std::string>());
    e.promptLength = static_cast<int64_t>(e.tokens.size());
    const std::vector<int> output = tokenizer.encode(j["output"].get<std::string>());
    const auto room = context + 1 - e.promptLength;
    const bool isVal = index++ % 20 == 19;
    if (room < 1) {
      ++out.skipped;
      continue;
    }
    const auto kept = std::min<int64_t>(room, static_cast<int64_t>(output.size()));
    e.tokens.insert(e.tokens.end(), output.begin(), output.begin() + kept);
    if (kept < room) e.tokens.push_back(tokenizer.eos());
    e.outputBytes = static_cast<int64_t>(tokenizer.decode({output.begin(), output.begin() + kept}).size());
    (isVal ? out.val : out.train).push_back(std::move(e));
  }
  if (out.train.empty() || out.val.empty())
    throw std::runtime_error("'" + jsonl.string() + "' yields " + std::to_string(out.train.size()) + " training and " +
                             std::to_string(out.val.size()) + " held-out examples (" + std::to_string(out.skipped) +
                             " inputs longer than data.context): it needs at least 20 usable lines");
  return out;
}

SftDataset::SftDataset(std::vector<SftExample> examples, int64_t context, int pad)
    : examples_(std::move(examples)), context_(context), pad_(pad) {}

engine::Batch SftDataset::get(const std::vector<int64_t>& indices) const {
  const auto n = static_cast<int64_t>(indices.size());
  torch::Tensor tokens = torch::full({n, context_ + 1}, pad_, torch::kInt64);
  torch::Tensor mask = torch::zeros({n, context_}, torch::kFloat32);
  torch::Tensor bytes = torch::zeros({n}, torch::kFloat64);
  auto t = tokens.accessor<int64_t, 2>();
  auto m = mask.accessor<float, 2>();
  auto b = bytes.accessor<double, 1>();
  int64_t real = 0;
  for (int64_t i = 0; i < n; ++i) {
    const SftExample& e = examples_.at(static_cast<size_t>(indices[static_cast<size_t>(i)]));
    const auto len = static_cast<int64_t>(e.tokens.size());
    for (int64_t k = 0; k < len; ++k) t[i][k] = e.tokens[static_cast<size_t>(k)];
    // Target k is token k + 1: it counts when token k + 1 belongs to the output (or is the end).
    for (int64_t k = std::max<int64_t>(e.promptLength - 1, 0); k < len - 1; ++k) m[i][k] = 1.0F;
    b[i] = static_cast<double>(e.outputBytes);
    real += len - 1;
  }
  engine::Batch batch;
  batch.fields["tokens"] = tokens;
  batch.fields["loss_mask"] = mask;
  batch.fields["bytes"] = bytes;
  batch.size = n;
  batch.tokens = real;
  return batch;
}

}  // namespace reef::llm
