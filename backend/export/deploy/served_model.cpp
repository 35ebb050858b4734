#include "deploy/served_model.h"

#include "cli/run_loading.h"
#include "deploy/dynamic_batcher.h"
#include "deploy/image_input.h"
#include "llm/causal_lm.h"
#include "llm/generation.h"
#include "vision/image_classifier.h"

#include <algorithm>
#include <mutex>

namespace reef::deploy {

namespace {

int64_t unixSeconds(const std::filesystem::path& file) {
  std::error_code ec;
  const auto t = std::filesystem::last_write_time(file, ec);
  if (ec) return 0;
  // file_time_type's clock has no conversion in C++17: shift by the two clocks' current readings.
  const auto system = std::chrono::system_clock::now() +
                      std::chrono::duration_cast<std::chrono::system_clock::duration>(t - std::filesystem::file_time_type::clock::now());
  return std::chrono::duration_cast<std::chrono::seconds>(system.time_since_epoch()).count();
}

}  // namespace

struct ServedModel::State {
  engine::LoadedRun loaded;
  std::string id, description;
  int64_t created = 0;
  Kind kind = Kind::LanguageModel;
  ServingMetrics* metrics = nullptr;
  llm::CausalLM* lm = nullptr;
  vision::ImageClassifier* classifier = nullptr;
  std::mutex generation;  // one generation at a time: the decoder and its KV cache are not shared
  std::unique_ptr<DynamicBatcher<std::vector<float>, std::vector<float>>> batcher;

  // Pixel vectors -> class probabilities, one model call for the whole batch.
  std::vector<std::vector<float>> runBatch(const std::vector<std::vector<float>>& images) {
    const auto& shape = classifier->info().shape;
    torch::NoGradGuard noGrad;
    torch::Tensor batch = torch::empty({static_cast<int64_t>(images.size()), shape.channels, shape.height, shape.width});
    for (size_t i = 0; i < images.size(); ++i)
      std::copy(images[i].begin(), images[i].end(), batch.data_ptr<float>() + i * images[i].size());
    const torch::Tensor probabilities =
        torch::softmax(classifier->logits(batch.to(loaded.device)), 1).to(torch::kCPU).contiguous();
    std::vector<std::vector<float>> out(images.size());
    const int64_t classes = probabilities.size(1);
    for (size_t i = 0; i < images.size(); ++i) {
      const float* row = probabilities.data_ptr<float>() + static_cast<int64_t>(i) * classes;
      out[i].assign(row, row + classes);
    }
    return out;
  }
};

ServedModel::ServedModel(const ServedModelOptions& options, ServingMetrics& metrics) : s_(std::make_unique<State>()) {
  s_->loaded = engine::loadRun(options.target, options.checkpoint, {});
  s_->metrics = &metrics;
  const Json& model = s_->loaded.spec["model"];
  s_->id = options.name.empty() ? s_->loaded.spec["exp"]["name"].get<std::string>() : options.name;
  s_->description = model["collection"].get<std::string>() + "/" + model["arch"].get<std::string>() + ", step " +
                    std::to_string(s_->loaded.step);
  s_->created = unixSeconds(s_->loaded.bundle.empty() ? s_->loaded.run.spec() : s_->loaded.bundle);
  s_->loaded.model->module().eval();
  if ((s_->lm = dynamic_cast<llm::CausalLM*>(s_->loaded.model.get()))) {
    s_->kind = Kind::LanguageModel;
  } else if ((s_->classifier = dynamic_cast<vision::ImageClassifier*>(s_->loaded.model.get()))) {
    s_->kind = Kind::ImageClassifier;
    State* state = s_.get();
    s_->batcher = std::make_unique<DynamicBatcher<std::vector<float>, std::vector<float>>>(
        [state](const std::vector<std::vector<float>>& images) { return state->runBatch(images); }, options.maxBatch,
        options.maxWait, [&metrics](size_t size) { metrics.batchRun(size); });
  } else {
    throw std::runtime_error("reef serve answers language models and image classifiers; '" + options.target +
                             "' is a " + s_->description);
  }
}

ServedModel::~ServedModel() = default;

const std::string& ServedModel::id() const { return s_->id; }
ServedModel::Kind ServedModel::kind() const { return s_->kind; }
std::string ServedModel::description() const { return s_->description; }
int64_t ServedModel::created() const { return s_->created; }

Completion ServedModel::complete(const GenerationRequest& request,
                                 const std::function<bool(const std::string&)>& onText) {
  if (!s_->lm)
    throw invalidRequest("model '" + s_->id + "' is an image classifier: use /v1/classify", "model");
  llm::SamplingOptions o;
  o.maxTokens = request.maxTokens;
  o.temperature = request.temperature;
  o.topP = request.topP;
  o.topK = request.topK;
  o.repetitionPenalty = request.repetitionPenalty;
  o.stop = request.stop;
  o.seed = request.seed.value_or(static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count()));
  const int64_t context = s_->lm->network()->config().maxContext;
  const auto promptTokens = static_cast<int64_t>(s_->lm->tokenizer().encode(request.prompt).size()) + 1;
  if (promptTokens >= context)
    throw ApiError(400, "invalid_request_error",
                   "the prompt is " + std::to_string(promptTokens) + " tokens; model '" + s_->id +
                       "' has a context of " + std::to_string(context) + " tokens and needs room for one more",
                   request.chat ? "messages" : "prompt", "context_length_exceeded");
  std::lock_guard lock(s_->generation);
  const llm::GenerationResult r = llm::generate(s_->lm->network(), s_->lm->tokenizer(), request.prompt, o, onText);
  s_->metrics->tokensGenerated(static_cast<int64_t>(r.tokens.size()), r.seconds);
  return {r.text, r.finishReason, {static_cast<int64_t>(r.promptTokens.size()), static_cast<int64_t>(r.tokens.size())}, r.seconds};
}

Json ServedModel::classify(const ClassifyRequest& request) {
  if (!s_->classifier)
    throw invalidRequest("model '" + s_->id + "' is a language model: use /v1/completions or /v1/chat/completions",
                         "model");
  const auto& info = s_->classifier->info();
  const ImageSize size{info.shape.channels, info.shape.height, info.shape.width};
  std::vector<std::future<std::vector<float>>> pending;
  std::vector<std::vector<float>> images;
  for (size_t i = 0; i < request.inputs.size(); ++i)
    images.push_back(decodeImage(request.inputs[i], size, "input[" + std::to_string(i) + "]"));
  for (auto& image : images) pending.push_back(s_->batcher->submit(std::move(image)));
  Json data = Json::array();
  const auto k = static_cast<size_t>(std::min<int64_t>(request.topK, static_cast<int64_t>(info.classes.size())));
  for (size_t i = 0; i < pending.size(); ++i) {
    const std::vector<float> p = pending[i].get();
    std::vector<size_t> order(p.size());
    for (size_t c = 0; c < order.size(); ++c) order[c] = c;
    std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(k), order.end(),
                      [&](size_t a, size_t b) { return p[a] > p[b]; });
    Json top = Json::array();
    for (size_t j = 0; j < k; ++j) top.push_back({{"label", info.classes[order[j]]}, {"score", p[order[j]]}});
    data.push_back({{"index", i},
                    {"label", info.classes[order[0]]},
                    {"label_index", order[0]},
                    {"score", p[order[0]]},
                    {"top", top}});
  }
  return {{"object", "list"}, {"model", s_->id}, {"data", data}};
}

}  // namespace reef::deploy
