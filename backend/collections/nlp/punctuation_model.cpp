#include "backend/collections/nlp/punctuation_model.h"

#include "backend/collections/nlp/nlp_collection.h"
#include "backend/collections/nlp/nlp_files.h"
#include "backend/engine/core/json_artifact.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <stdexcept>

namespace fs = std::filesystem;

namespace reef::nlp {

namespace {

const char* markName(size_t mark) {
  static const char* names[] = {"none", "comma", "period", "question"};
  return names[mark];
}

// Per-mark and capital counts of one pass, for the model and for the rule baseline.
struct TagCounts {
  std::vector<int64_t> tp, fp, fn;
  int64_t capTp = 0, capFp = 0, capFn = 0;
  TagCounts() : tp(punctuationMarks().size()), fp(punctuationMarks().size()), fn(punctuationMarks().size()) {}

  // truth/predicted: [N] labels at labelled positions.
  void addMarks(const torch::Tensor& truth, const torch::Tensor& predicted) {
    const auto t = truth.accessor<int64_t, 1>();
    const auto p = predicted.accessor<int64_t, 1>();
    for (int64_t i = 0; i < truth.size(0); ++i) {
      if (t[i] == p[i]) {
        if (t[i] != 0) ++tp[static_cast<size_t>(t[i])];
        continue;
      }
      if (p[i] != 0) ++fp[static_cast<size_t>(p[i])];
      if (t[i] != 0) ++fn[static_cast<size_t>(t[i])];
    }
  }
  void addCapitals(const torch::Tensor& truth, const torch::Tensor& predicted) {
    capTp += (truth.eq(1) & predicted.eq(1)).sum().item<int64_t>();
    capFp += (truth.eq(0) & predicted.eq(1)).sum().item<int64_t>();
    capFn += (truth.eq(1) & predicted.eq(0)).sum().item<int64_t>();
  }
  static double f1(int64_t tp, int64_t fp, int64_t fn) {
    return tp == 0 ? 0.0 : 2.0 * static_cast<double>(tp) / static_cast<double>(2 * tp + fp + fn);
  }
  // <prefix>punct_f1 (macro over the marks the split has), per-mark precision/recall/F1, capital_f1.
  void report(engine::MetricMap& m, const std::string& prefix, bool perMark) const {
    double sum = 0;
    int present = 0;
    for (size_t k = 1; k < tp.size(); ++k) {
      if (tp[k] + fn[k] == 0) continue;
      const double f = f1(tp[k], fp[k], fn[k]);
      sum += f;
      ++present;
      if (!perMark) continue;
      const std::string name = markName(k);
      m[prefix + name + "_f1"] = f;
      m[prefix + name + "_precision"] =
          tp[k] + fp[k] ? static_cast<double>(tp[k]) / static_cast<double>(tp[k] + fp[k]) : 0.0;
      m[prefix + name + "_recall"] = static_cast<double>(tp[k]) / static_cast<double>(tp[k] + fn[k]);
    }
    m[prefix + "punct_f1"] = present ? sum / present : 0.0;
    m[prefix + "capital_f1"] = f1(capTp, capFp, capFn);
  }
};

class PunctuationEvaluation : public engine::Evaluation {
 public:
  PunctuationEvaluation(PunctuationNet& net, const text::Tokenizer& tokenizer) : net_(net), tokenizer_(tokenizer) {}

  // The first examples, restored beside their truth word by word: what the studio shows with the
  // differences marked.
  std::vector<engine::Artifact> writeArtifacts(const std::filesystem::path& dir, const std::string& prefix) override {
    return {engine::writeJsonArtifact(dir / (prefix + "punctuation_samples.json"), "punctuation_samples", shown_)};
  }

  void update(const engine::Batch& batch) override {
    const torch::Tensor tokens = batch.at("tokens");
    auto [marks, capitals] = net_.forward(tokens);
    const torch::Tensor punctuation = batch.at("punctuation").to(marks.device());
    const torch::Tensor capital = batch.at("capital").to(marks.device());
    loss_ +=
        (torch::nn::functional::cross_entropy(marks.flatten(0, 1), punctuation.flatten(),
                                              torch::nn::functional::CrossEntropyFuncOptions().ignore_index(-100)) +
         torch::nn::functional::cross_entropy(capitals.flatten(0, 1), capital.flatten(),
                                              torch::nn::functional::CrossEntropyFuncOptions().ignore_index(-100)))
            .item<double>() *
        static_cast<double>(batch.size);
    samples_ += batch.size;
    const torch::Tensor markAt = punctuation.ne(-100), capAt = capital.ne(-100);
    keepSamples(tokens.cpu(), punctuation.cpu(), capital.cpu(), marks.argmax(-1).cpu(), capitals.argmax(-1).cpu());
    model_.addMarks(punctuation.masked_select(markAt).cpu(), marks.argmax(-1).masked_select(markAt).cpu());
    model_.addCapitals(capital.masked_select(capAt).cpu(), capitals.argmax(-1).masked_select(capAt).cpu());
    // The rule baseline: a period after each example's last word, a capital on its first.
    const torch::Tensor positions = torch::arange(punctuation.size(1), punctuation.options()).expand_as(punctuation);
    const torch::Tensor lastWord = std::get<0>(positions.masked_fill(markAt.logical_not(), -1).max(1, true));
    const torch::Tensor ruleMarks = positions.eq(lastWord).to(torch::kInt64) * 2;  // 2 = "."
    const torch::Tensor firstWord = std::get<0>(positions.masked_fill(capAt.logical_not(), 1 << 30).min(1, true));
    const torch::Tensor ruleCapitals = positions.eq(firstWord).to(torch::kInt64);
    rule_.addMarks(punctuation.masked_select(markAt).cpu(), ruleMarks.masked_select(markAt).cpu());
    rule_.addCapitals(capital.masked_select(capAt).cpu(), ruleCapitals.masked_select(capAt).cpu());
  }

  engine::MetricMap finish() override {
    engine::MetricMap m;
    m["loss"] = samples_ ? loss_ / static_cast<double>(samples_) : 0.0;
    model_.report(m, "", true);
    rule_.report(m, "rule_", false);
    return m;
  }

 private:
  void keepSamples(const torch::Tensor& tokens, const torch::Tensor& marks, const torch::Tensor& capitals,
                   const torch::Tensor& predictedMarks, const torch::Tensor& predictedCapitals) {
    for (int64_t i = 0; i < tokens.size(0) && shown_.size() < 40; ++i) {
      Json words = Json::array();
      std::vector<int> pieces;
      Json word;
      for (int64_t j = 0; j < tokens.size(1); ++j) {
        if (capitals[i][j].item<int64_t>() != -100) {
          pieces.clear();
          word = {{"capital", predictedCapitals[i][j].item<int64_t>() == 1},
                  {"truth_capital", capitals[i][j].item<int64_t>() == 1}};
        }
        pieces.push_back(static_cast<int>(tokens[i][j].item<int64_t>()));
        if (const int64_t truth = marks[i][j].item<int64_t>(); truth != -100) {
          std::string text = tokenizer_.decode(pieces);
          text.erase(0, text.find_first_not_of(' '));
          word["text"] = text;
          word["mark"] = punctuationMarks()[static_cast<size_t>(predictedMarks[i][j].item<int64_t>())];
          word["truth_mark"] = punctuationMarks()[static_cast<size_t>(truth)];
          words.push_back(word);
        }
      }
      shown_.push_back({{"words", words}});
    }
  }

  PunctuationNet& net_;
  const text::Tokenizer& tokenizer_;
  Json shown_ = Json::array();
  TagCounts model_, rule_;
  double loss_ = 0;
  int64_t samples_ = 0;
};

}  // namespace

PunctuationNet::PunctuationNet(const EncoderTrunkOptions& trunk, int64_t pad, int64_t contextKernel)
    : trunk_(*this, trunk), pad_(pad) {
  if (contextKernel > 0 && contextKernel % 2 == 0)
    throw std::runtime_error("model.context_kernel " + std::to_string(contextKernel) +
                             " is even: give an odd number of pieces (centred on each piece), or 0 for none");
  if (contextKernel > 0) context_ = register_module("context", torch::nn::Linear(trunk.dim * contextKernel, trunk.dim));
  contextKernel_ = contextKernel;
  punctuationHead_ =
      register_module("punct_head", torch::nn::Linear(trunk.dim, static_cast<int64_t>(punctuationMarks().size())));
  capitalHead_ = register_module("capital_head", torch::nn::Linear(trunk.dim, 2));
}

std::pair<torch::Tensor, torch::Tensor> PunctuationNet::forward(const torch::Tensor& tokens) {
  const torch::Tensor padding = tokens == pad_;
  torch::Tensor features = trunk_.encode(tokens, padding, is_training());
  if (context_) {
    // Each piece's window of neighbours, zeros beyond the text: [B, L, dim, kernel] -> [B, L, dim * kernel].
    const int64_t half = contextKernel_ / 2;
    const torch::Tensor shown = features.masked_fill(padding.unsqueeze(-1), 0.0);
    const torch::Tensor windows = torch::constant_pad_nd(shown, {0, 0, half, half}).unfold(1, contextKernel_, 1);
    features = features + torch::gelu(context_->forward(windows.flatten(2)));
  }
  return {punctuationHead_->forward(features), capitalHead_->forward(features)};
}

PunctuationModel::PunctuationModel(const engine::ModelContext& context) : context_(context) {
  const Json& d = context.spec.at("data");
  const Json& m = context.spec.at("model");
  file_ = underDataRoot(context.dataRoot, d.at("dataset").get<std::string>());
  tokenizerPath_ = underDataRoot(context.dataRoot, d.at("tokenizer").get<std::string>());
  textField_ = d.at("text_field").get<std::string>();
  maxLength_ = d.at("max_length").get<int64_t>();
  tokenizer_ = loadTokenizer(tokenizerPath_);
  const int64_t pad = padId(tokenizer_);
  net_ = std::make_shared<PunctuationNet>(encoderTrunkOptions(m, tokenizer_.vocabSize(), maxLength_), pad,
                                          m.at("context_kernel").get<int64_t>());
}

PunctuationData& PunctuationModel::data() {
  if (!data_) data_ = loadPunctuationData(file_, textField_, tokenizer_, maxLength_);
  return *data_;
}

std::shared_ptr<engine::Dataset> PunctuationModel::dataset(engine::Split split) { return splitOf(data(), split); }

torch::Tensor PunctuationModel::trainingStep(const engine::Batch& batch) {
  auto [marks, capitals] = net_->forward(batch.at("tokens"));
  if (!markWeights_.defined()) {
    // Most words are followed by no mark: each mark's loss is weighted by how much rarer it is than
    // none to the power 0.35 (at most 10x), or the model learns to predict none everywhere. The
    // square root over-predicted every mark (recall 0.46 against precision 0.32 for commas); 0.35
    // brings the two level, which is where F1 is highest.
    std::vector<float> w;
    const auto& counts = data().markCounts;
    for (int64_t c : counts)
      w.push_back(static_cast<float>(
          std::clamp(std::pow(double(counts[0]) / double(std::max<int64_t>(c, 1)), 0.35), 1.0, 10.0)));
    markWeights_ = torch::tensor(w).to(marks.device());
  }
  const auto ignore = torch::nn::functional::CrossEntropyFuncOptions().ignore_index(-100);
  return torch::nn::functional::cross_entropy(
             marks.flatten(0, 1), batch.at("punctuation").flatten(),
             torch::nn::functional::CrossEntropyFuncOptions().ignore_index(-100).weight(markWeights_)) +
         torch::nn::functional::cross_entropy(capitals.flatten(0, 1), batch.at("capital").flatten(), ignore);
}

std::unique_ptr<engine::Evaluation> PunctuationModel::evaluation(engine::Split) {
  return std::make_unique<PunctuationEvaluation>(*net_, tokenizer_);
}

std::optional<std::vector<fs::path>> PunctuationModel::inferenceAssets() const {
  return std::vector<fs::path>{fs::relative(tokenizerPath_, context_.dataRoot)};
}

std::string PunctuationModel::restore(const std::string& text) {
  torch::NoGradGuard noGrad;
  net_->eval();
  const std::vector<Word> words = labelledWords(text);
  const torch::Device device = net_->parameters().front().device();
  std::string out;
  for (size_t begin = 0; begin < words.size();) {
    // As many words as fit in the model's length, one window at a time.
    const TaggedExample e =
        tagWords({words.begin() + static_cast<std::ptrdiff_t>(begin), words.end()}, tokenizer_, maxLength_);
    size_t taken = 0;
    for (int c : e.capital) taken += c != -100;
    if (taken == 0) taken = 1;  // a word longer than the window: skip it rather than loop
    const torch::Tensor tokens =
        torch::tensor(std::vector<int64_t>(e.tokens.begin(), e.tokens.end()), torch::kInt64).view({1, -1});
    torch::Tensor marks, capitals;
    if (!e.tokens.empty()) {
      auto [m, c] = net_->forward(tokens.to(device));
      marks = m.argmax(-1)[0].cpu();
      capitals = c.argmax(-1)[0].cpu();
    }
    size_t word = begin;
    for (size_t j = 0; j < e.tokens.size(); ++j) {
      if (e.capital[j] != -100) {
        std::string w = words[word].text;
        if (capitals[static_cast<int64_t>(j)].item<int64_t>() == 1 && !w.empty())
          w[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(w[0])));
        out += (out.empty() ? "" : " ") + w;
      }
      if (e.punctuation[j] != -100) {
        out += punctuationMarks()[static_cast<size_t>(marks[static_cast<int64_t>(j)].item<int64_t>())];
        ++word;
      }
    }
    begin += taken;
  }
  return out;
}

}  // namespace reef::nlp
