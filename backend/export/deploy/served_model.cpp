#include "deploy/served_model.h"

#include "cli/run_loading.h"
#include "deploy/dynamic_batcher.h"
#include "deploy/image_input.h"
#include "llm/causal_lm.h"
#include "llm/generation.h"
#include "nlp/text_classifier.h"
#include "vision/image_classifier.h"

#include <algorithm>
#include <future>
#include <thread>

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
  vision::ImageClassifier* images = nullptr;
  nlp::TextClassifier* texts = nullptr;
  std::vector<std::string> classes;
  // The model is loaded, and every model call made, on one worker thread: generation one request
  // at a time, images in batches. Measured: generation on a thread other than the one that loaded
  // the weights runs at 60-65 % of the speed (reef generate: 1,600 tokens/s; from an HTTP thread:
  // 1,000), and the HTTP threads are many.
  std::thread worker;
  struct GenerationJob {
    std::string prompt;
    llm::SamplingOptions options;
    const std::function<bool(const std::string&)>* onText;
  };
  std::unique_ptr<DynamicBatcher<GenerationJob, llm::GenerationResult>> generator;
  // One example in ([C, H, W] pixels or [L] token ids), class probabilities out.
  std::unique_ptr<DynamicBatcher<torch::Tensor, std::vector<float>>> batcher;

  void load(const ServedModelOptions& options, ServingMetrics& serving);

  // Examples -> class probabilities, one model call for the whole batch (texts padded to the
  // longest, which the network masks out).
  std::vector<std::vector<float>> runBatch(const std::vector<torch::Tensor>& examples) {
    torch::NoGradGuard noGrad;
    torch::Tensor logits;
    if (images) {
      logits = images->logits(torch::stack(examples).to(loaded.device));
    } else {
      int64_t longest = 1;
      for (const auto& e : examples) longest = std::max(longest, e.size(0));
      torch::Tensor tokens = torch::full({static_cast<int64_t>(examples.size()), longest}, texts->pad(), torch::kInt64);
      for (size_t i = 0; i < examples.size(); ++i) tokens[static_cast<int64_t>(i)].narrow(0, 0, examples[i].size(0)).copy_(examples[i]);
      logits = texts->logits(tokens.to(loaded.device));
    }
    const torch::Tensor probabilities = torch::softmax(logits, 1).to(torch::kCPU).contiguous();
    std::vector<std::vector<float>> out(examples.size());
    const int64_t n = probabilities.size(1);
    for (size_t i = 0; i < examples.size(); ++i) {
      const float* row = probabilities.data_ptr<float>() + static_cast<int64_t>(i) * n;
      out[i].assign(row, row + n);
    }
    return out;
  }
};

ServedModel::ServedModel(const ServedModelOptions& options, ServingMetrics& metrics) : s_(std::make_unique<State>()) {
  std::promise<void> ready;
  State* state = s_.get();
  s_->worker = std::thread([state, options, &metrics, &ready] {
    try {
      state->load(options, metrics);
    } catch (...) {
      ready.set_exception(std::current_exception());
      return;
    }
    ready.set_value();
    if (state->generator) state->generator->run();
    if (state->batcher) state->batcher->run();
  });
  try {
    ready.get_future().get();
  } catch (...) {
    s_->worker.join();
    throw;
  }
}

void ServedModel::State::load(const ServedModelOptions& options, ServingMetrics& serving) {
  loaded = engine::loadRun(options.target, options.checkpoint, {});
  metrics = &serving;
  const Json& model = loaded.spec["model"];
  id = options.name.empty() ? loaded.spec["exp"]["name"].get<std::string>() : options.name;
  description = model["collection"].get<std::string>() + "/" + model["arch"].get<std::string>() + ", step " +
                std::to_string(loaded.step);
  created = unixSeconds(loaded.bundle.empty() ? loaded.run.spec() : loaded.bundle);
  loaded.model->module().eval();
  if ((lm = dynamic_cast<llm::CausalLM*>(loaded.model.get()))) {
    kind = Kind::LanguageModel;
    generator = std::make_unique<DynamicBatcher<GenerationJob, llm::GenerationResult>>(
        [this](const std::vector<GenerationJob>& jobs) {
          std::vector<llm::GenerationResult> out;
          for (const auto& job : jobs)
            out.push_back(llm::generate(lm->network(), lm->tokenizer(), job.prompt, job.options,
                                        *job.onText ? *job.onText : llm::TokenCallback{}));
          return out;
        },
        1, std::chrono::microseconds(0), nullptr, /*ownThread=*/false);
  } else if ((images = dynamic_cast<vision::ImageClassifier*>(loaded.model.get())) ||
             (texts = dynamic_cast<nlp::TextClassifier*>(loaded.model.get()))) {
    kind = images ? Kind::ImageClassifier : Kind::TextClassifier;
    classes = images ? images->info().classes : texts->classes();
    batcher = std::make_unique<DynamicBatcher<torch::Tensor, std::vector<float>>>(
        [this](const std::vector<torch::Tensor>& examples) { return runBatch(examples); }, options.maxBatch,
        options.maxWait, [&serving](size_t size) { serving.batchRun(size); }, /*ownThread=*/false);
  } else {
    throw std::runtime_error("reef serve answers language models and image and text classifiers; '" + options.target +
                             "' is a " + description);
  }
}

ServedModel::~ServedModel() {
  if (s_->generator) s_->generator->stop();
  if (s_->batcher) s_->batcher->stop();
  s_->worker.join();
}

const std::string& ServedModel::id() const { return s_->id; }
ServedModel::Kind ServedModel::kind() const { return s_->kind; }
std::string ServedModel::description() const { return s_->description; }
int64_t ServedModel::created() const { return s_->created; }

void ServedModel::checkRequest(const GenerationRequest& request) const {
  if (!s_->lm) throw invalidRequest("model '" + s_->id + "' is a classifier: use /v1/classify", "model");
  const int64_t context = s_->lm->network()->config().maxContext;
  const auto promptTokens = static_cast<int64_t>(s_->lm->tokenizer().encode(request.prompt).size()) + 1;
  if (promptTokens >= context)
    throw ApiError(400, "invalid_request_error",
                   "the prompt is " + std::to_string(promptTokens) + " tokens; model '" + s_->id +
                       "' has a context of " + std::to_string(context) + " tokens and needs room for one more",
                   request.chat ? "messages" : "prompt", "context_length_exceeded");
}

Completion ServedModel::complete(const GenerationRequest& request,
                                 const std::function<bool(const std::string&)>& onText) {
  checkRequest(request);
  llm::SamplingOptions o;
  o.maxTokens = request.maxTokens;
  o.temperature = request.temperature;
  o.topP = request.topP;
  o.topK = request.topK;
  o.repetitionPenalty = request.repetitionPenalty;
  o.stop = request.stop;
  o.seed = request.seed.value_or(static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count()));
  // The caller waits for the result, so onText (which writes to its connection) is never used
  // by two threads at once.
  const llm::GenerationResult r = s_->generator->submit({request.prompt, o, &onText}).get();
  s_->metrics->tokensGenerated(static_cast<int64_t>(r.tokens.size()), r.seconds);
  return {r.text, r.finishReason, {static_cast<int64_t>(r.promptTokens.size()), static_cast<int64_t>(r.tokens.size())}, r.seconds};
}

Json ServedModel::classify(const ClassifyRequest& request) {
  if (!s_->batcher)
    throw invalidRequest("model '" + s_->id + "' is a language model: use /v1/completions or /v1/chat/completions",
                         "model");
  // Every input is checked before any is classified, so that a bad one fails the request alone.
  std::vector<torch::Tensor> examples;
  for (size_t i = 0; i < request.inputs.size(); ++i) {
    const std::string where = "input[" + std::to_string(i) + "]";
    const Json& input = request.inputs[i];
    if (s_->images) {
      const auto& shape = s_->images->info().shape;
      const std::vector<float> pixels = decodeImage(input, {shape.channels, shape.height, shape.width}, where);
      examples.push_back(torch::tensor(pixels).view({shape.channels, shape.height, shape.width}));
    } else {
      if (!input.is_string()) throw invalidRequest(where + " must be a string: model '" + s_->id + "' classifies text", "input");
      const std::vector<int> ids = s_->texts->tokens(input.get<std::string>());
      examples.push_back(torch::tensor(std::vector<int64_t>(ids.begin(), ids.end()), torch::kInt64));
    }
  }
  std::vector<std::future<std::vector<float>>> pending;
  for (auto& e : examples) pending.push_back(s_->batcher->submit(std::move(e)));
  const std::vector<std::string>& classes = s_->classes;
  Json data = Json::array();
  const auto k = static_cast<size_t>(std::min<int64_t>(request.topK, static_cast<int64_t>(classes.size())));
  for (size_t i = 0; i < pending.size(); ++i) {
    const std::vector<float> p = pending[i].get();
    std::vector<size_t> order(p.size());
    for (size_t c = 0; c < order.size(); ++c) order[c] = c;
    std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(k), order.end(),
                      [&](size_t a, size_t b) { return p[a] > p[b]; });
    Json top = Json::array();
    for (size_t j = 0; j < k; ++j) top.push_back({{"label", classes[order[j]]}, {"score", p[order[j]]}});
    data.push_back({{"index", i},
                    {"label", classes[order[0]]},
                    {"label_index", order[0]},
                    {"score", p[order[0]]},
                    {"top", top}});
  }
  return {{"object", "list"}, {"model", s_->id}, {"data", data}};
}

}  // namespace reef::deploy
