#include "backend/collections/multimodal/image_text_data.h"

#include "backend/collections/multimodal/image_loading.h"
#include "backend/collections/nlp/nlp_files.h"
#include "backend/protocol/json.h"

#include <algorithm>
#include <fstream>
#include <iterator>
#include <map>
#include <sstream>
#include <stdexcept>

namespace fs = std::filesystem;

namespace reef::multimodal {

ImageTextSplit::ImageTextSplit(std::vector<ImageTextItem> items, torch::Tensor pixels, int pad, bool balanceSources)
    : items_(std::move(items)), pixels_(std::move(pixels)), pad_(pad) {
  std::map<std::string, int64_t> counts;
  for (const auto& item : items_) ++counts[item.source];
  int64_t largest = 0;
  for (const auto& [source, count] : counts) largest = std::max(largest, count);
  for (size_t i = 0; i < items_.size(); ++i) {
    // Balanced: a small source is repeated so that each source is seen about equally often.
    const int64_t repeats =
        balanceSources ? std::max<int64_t>(1, (largest + counts[items_[i].source] / 2) / counts[items_[i].source]) : 1;
    for (int64_t r = 0; r < repeats; ++r) order_.push_back(static_cast<int64_t>(i));
  }
}

engine::Batch ImageTextSplit::get(const std::vector<int64_t>& indices) const {
  const auto n = static_cast<int64_t>(indices.size());
  std::vector<int64_t> itemIds;
  size_t longest = 1;
  for (int64_t i : indices) {
    itemIds.push_back(order_.at(static_cast<size_t>(i)));
    longest = std::max(longest, items_[static_cast<size_t>(itemIds.back())].tokens.size());
  }
  torch::Tensor tokens = torch::full({n, static_cast<int64_t>(longest)}, pad_, torch::kInt64);
  torch::Tensor length = torch::empty({n}, torch::kInt64), textId = torch::empty({n}, torch::kInt64);
  int64_t* t = tokens.data_ptr<int64_t>();
  for (int64_t row = 0; row < n; ++row) {
    const ImageTextItem& item = items_[static_cast<size_t>(itemIds[static_cast<size_t>(row)])];
    std::copy(item.tokens.begin(), item.tokens.end(), t + row * static_cast<int64_t>(longest));
    length[row] = static_cast<int64_t>(item.tokens.size());
    textId[row] = item.textId;
  }
  const torch::Tensor item = torch::tensor(itemIds, torch::kInt64);
  engine::Batch batch;
  batch.fields["image"] = pixels_.index_select(0, item).to(torch::kFloat32).div_(255.0);
  batch.fields["tokens"] = tokens;
  batch.fields["length"] = length;
  batch.fields["text_id"] = textId;
  batch.fields["item"] = item;
  batch.size = n;
  return batch;
}

torch::Tensor ImageTextSplit::image(int64_t item) const { return pixels_[item].to(torch::kFloat32) / 255.0; }

std::vector<std::string> ImageTextSplit::sources() const {
  std::vector<std::string> out;
  for (const auto& item : items_)
    if (std::find(out.begin(), out.end(), item.source) == out.end()) out.push_back(item.source);
  return out;
}

ImageTextSettings ImageTextSettings::fromContext(const engine::ModelContext& context) {
  const Json& d = context.spec.at("data");
  ImageTextSettings s;
  std::stringstream list(d.at("manifests").get<std::string>());
  for (std::string item; std::getline(list, item, ',');) {
    item.erase(0, item.find_first_not_of(' '));
    item.erase(item.find_last_not_of(' ') + 1);
    if (!item.empty()) s.manifests.push_back(nlp::underDataRoot(context.dataRoot, item));
  }
  if (s.manifests.empty())
    throw std::runtime_error("data.manifests lists no manifest: name one or more JSON-lines files");
  s.tokenizer = nlp::underDataRoot(context.dataRoot, d.at("tokenizer").get<std::string>());
  s.imageSize = d.at("image_size").get<int64_t>();
  if (s.imageSize % 8 != 0)
    throw std::runtime_error("data.image_size " + std::to_string(s.imageSize) +
                             " is not a multiple of 8 (the image encoder halves it three times): use 32, 64, ...");
  s.maxLength = d.at("max_length").get<int64_t>();
  s.balanceSources = d.at("balance_sources").get<bool>();
  s.zeroShotPrompt = d.at("zero_shot_prompt").get<std::string>();
  return s;
}

namespace {

// IDX image files (magic 0x00000803), read once per file.
class IdxImages {
 public:
  torch::Tensor image(const fs::path& file, int64_t index, const std::string& where) {
    auto it = files_.find(file);
    if (it == files_.end()) {
      std::ifstream in(file, std::ios::binary);
      if (!in)
        throw std::runtime_error(where + ": cannot read IDX file '" + file.string() +
                                 "' (run scripts/prepare-data.sh)");
      std::vector<unsigned char> bytes((std::istreambuf_iterator<char>(in)), {});
      auto be = [&](size_t at) {
        return static_cast<int64_t>(bytes[at]) << 24 | static_cast<int64_t>(bytes[at + 1]) << 16 |
               static_cast<int64_t>(bytes[at + 2]) << 8 | bytes[at + 3];
      };
      if (bytes.size() < 16 || be(0) != 0x803 || static_cast<int64_t>(bytes.size()) != 16 + be(4) * be(8) * be(12))
        throw std::runtime_error(where + ": '" + file.string() + "' is not an IDX image file");
      it = files_.emplace(file, File{be(4), be(8), be(12), std::move(bytes)}).first;
    }
    const File& f = it->second;
    if (index < 0 || index >= f.count)
      throw std::runtime_error(where + ": index " + std::to_string(index) + " is outside '" + file.string() + "' (" +
                               std::to_string(f.count) + " images)");
    const torch::Tensor pixels = torch::from_blob(
        const_cast<unsigned char*>(f.bytes.data()) + 16 + index * f.rows * f.cols, {1, f.rows, f.cols}, torch::kUInt8);
    return pixels.to(torch::kFloat32) / 255.0;
  }

 private:
  struct File {
    int64_t count, rows, cols;
    std::vector<unsigned char> bytes;
  };
  std::map<fs::path, File> files_;
};

std::string stringField(const Json& j, const std::string& key, const std::string& where, bool required) {
  if (!j.contains(key)) {
    if (required) throw std::runtime_error(where + ": needs the string field '" + key + "'");
    return {};
  }
  if (!j[key].is_string()) throw std::runtime_error(where + ": '" + key + "' must be a string");
  return j[key].get<std::string>();
}

}  // namespace

ImageTextData loadImageText(const ImageTextSettings& settings, const text::Tokenizer& tokenizer) {
  std::map<std::string, std::vector<ImageTextItem>> items;  // by split
  std::map<std::string, std::vector<torch::Tensor>> pixels;
  std::map<std::string, int64_t> textIds;
  IdxImages idx;
  for (const fs::path& manifest : settings.manifests) {
    std::ifstream in(manifest);
    if (!in)
      throw std::runtime_error("cannot read manifest '" + manifest.string() +
                               "': run scripts/prepare-data.sh, or list JSON-lines files in data.manifests");
    std::string line;
    for (int64_t number = 1; std::getline(in, line); ++number) {
      if (line.empty()) continue;
      const std::string where = manifest.string() + ":" + std::to_string(number);
      const Json j = Json::parse(line, nullptr, false);
      if (j.is_discarded() || !j.is_object()) throw std::runtime_error(where + ": not a JSON object");
      ImageTextItem item;
      item.text = stringField(j, "text", where, true);
      const std::string split = stringField(j, "split", where, true);
      if (split != "train" && split != "val" && split != "test")
        throw std::runtime_error(where + ": split '" + split + "' is not train, val or test");
      item.source = stringField(j, "source", where, false);
      if (item.source.empty()) item.source = manifest.stem().string();
      item.label = stringField(j, "label", where, false);
      const fs::path image(stringField(j, "image", where, true));
      item.image = (image.is_absolute() ? image : manifest.parent_path() / image).lexically_normal();
      torch::Tensor picture;
      if (j.contains("index")) {
        if (!j["index"].is_number_integer()) throw std::runtime_error(where + ": 'index' must be an integer");
        item.index = j["index"].get<int64_t>();
        picture = idx.image(item.image, item.index, where);
      } else {
        picture = loadImageFile(item.image, settings.imageSize);
      }
      pixels[split].push_back((fitImage(picture, settings.imageSize) * 255).round().to(torch::kUInt8));
      item.tokens = nlp::encoderTokens(tokenizer, item.text, settings.maxLength);
      item.textId = textIds.emplace(item.text, static_cast<int64_t>(textIds.size())).first->second;
      items[split].push_back(std::move(item));
    }
  }
  const int pad = nlp::padId(tokenizer);
  auto make = [&](const std::string& split) {
    if (items[split].empty())
      throw std::runtime_error("the manifests in data.manifests have no '" + split + "' items: each split needs some");
    return std::make_shared<ImageTextSplit>(std::move(items[split]), torch::stack(pixels[split]), pad,
                                            split == "train" && settings.balanceSources);
  };
  return {make("train"), make("val"), make("test")};
}

}  // namespace reef::multimodal
