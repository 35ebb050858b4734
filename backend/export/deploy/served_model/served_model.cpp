#include "backend/export/deploy/served_model/served_model.h"

#include "backend/engine/core/inference.h"
#include "backend/engine/core/runtime.h"
#include "backend/engine/trainer/loaded_run.h"
#include "backend/export/deploy/dynamic_batcher.h"
#include "backend/export/deploy/image_input.h"
#include "backend/export/deploy/served_model/generation_scheduler.h"
#include "backend/protocol/audio/audio_file.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <future>
#include <mutex>
#include <optional>
#include <thread>

namespace reef::deploy {

namespace {

int64_t unixSeconds(const std::filesystem::path& file) {
  std::error_code ec;
  const auto t = std::filesystem::last_write_time(file, ec);
  if (ec) return 0;
  // file_time_type's clock has no conversion in C++17: shift by the two clocks' current readings.
  const auto system =
      std::chrono::system_clock::now() + std::chrono::duration_cast<std::chrono::system_clock::duration>(
                                             t - std::filesystem::file_time_type::clock::now());
  return std::chrono::duration_cast<std::chrono::seconds>(system.time_since_epoch()).count();
}

// What a generating request's thread and the worker share: the text the worker has made and the
// result, handed over so that a slow client never holds up the batch; `left` tells the worker to
// end the sequence once the client has gone.
struct Relay {
  std::mutex mutex;
  std::condition_variable changed;  // the first piece, or the result
  std::deque<std::string> pieces;
  bool started = false;
  std::optional<engine::GenerationResult> result;
  std::exception_ptr error;
  std::atomic<bool> left{false};
};

// Generates on the scheduler's worker and streams the text to onText from this thread. Once its
// first piece has come, this thread waits for the scheduler's step bell rather than for a wake-up
// of its own: one call per step wakes every running stream, where a wake-up per token took 6 % of
// the worker's time in system calls (16 streams: 5,837 tokens/s against 5,120, medians of 10
// servers each, 2026-12-05). A request still queued waits on its relay, so that it is not woken at
// every step of the others (one at a time, 16 streams: 1,358 against 1,357).
engine::GenerationResult generateRelayed(GenerationScheduler& scheduler, const std::string& prompt,
                                         const engine::SamplingOptions& options,
                                         const std::function<bool(const std::string&)>& onText) {
  auto relay = std::make_shared<Relay>();
  engine::TokenCallback toRelay;
  if (onText)
    toRelay = [relay](const std::string& piece) {
      if (relay->left) return false;
      std::unique_lock lock(relay->mutex);
      relay->pieces.push_back(piece);
      if (std::exchange(relay->started, true)) return true;
      lock.unlock();
      relay->changed.notify_one();
      return true;
    };
  scheduler.submit(prompt, options, toRelay, [relay](engine::GenerationResult result, std::exception_ptr error) {
    {
      std::lock_guard lock(relay->mutex);
      relay->result = std::move(result);
      relay->error = error;
    }
    relay->changed.notify_one();
  });
  for (;;) {
    const uint64_t seen = scheduler.steps();  // read before looking, so that no ring is missed
    std::unique_lock lock(relay->mutex);
    if (!relay->pieces.empty()) {
      // One event per piece, as clients expect; what piles up behind a slow client waits here,
      // never in the worker.
      const std::string text = std::move(relay->pieces.front());
      relay->pieces.pop_front();
      lock.unlock();
      try {
        if (!relay->left && !onText(text)) relay->left = true;
      } catch (...) {
        relay->left = true;  // nobody will read the rest: the sequence ends at its next piece
        throw;
      }
      continue;  // text may have come, and the result after it, while this thread was writing
    }
    if (relay->error) std::rethrow_exception(relay->error);
    if (relay->result) return std::move(*relay->result);
    if (relay->started) {
      lock.unlock();
      scheduler.waitForStepAfter(seen);
    } else {
      relay->changed.wait(lock, [&] { return relay->started || relay->result || relay->error; });
    }
  }
}

}  // namespace

struct ServedModel::State {
  engine::LoadedRun loaded;
  std::string id, description, serving;
  int64_t created = 0;
  ServingMetrics* metrics = nullptr;
  engine::TextGeneration* generation = nullptr;
  engine::Classification* classification = nullptr;
  engine::ImageClassification* images = nullptr;
  engine::TextClassification* texts = nullptr;
  engine::SpeechRecognition* speech = nullptr;
  engine::SpeechSynthesis* voice = nullptr;
  engine::Embedding* embedder = nullptr;
  engine::ImageCaptioning* captioner = nullptr;
  engine::TextRestoration* restorer = nullptr;
  // The model is loaded, and every model call made, on one worker thread: generation continuously
  // batched, classification dynamically batched. Measured: generation on a thread other than the
  // one that loaded the weights runs at 60-65 % of the speed (reef generate: 1,600 tokens/s; from
  // an HTTP thread: 1,000), and the HTTP threads are many.
  std::thread worker;
  std::unique_ptr<GenerationScheduler> generator;
  // One example in (pixels or token ids), class probabilities out.
  std::unique_ptr<DynamicBatcher<torch::Tensor, std::vector<float>>> batcher;
  // Samples at the model's rate in, one utterance per model call.
  std::unique_ptr<DynamicBatcher<std::vector<float>, engine::Transcription>> transcriber;
  // A sentence and its pace in, its samples out, one sentence per model call: concurrent requests
  // take turns sentence by sentence.
  std::unique_ptr<DynamicBatcher<std::pair<std::string, double>, std::vector<float>>> speaker;
  // A request's texts and images in, their embeddings out.
  struct EmbeddingJob {
    std::vector<std::string> texts;
    std::vector<torch::Tensor> images;
  };
  struct Embedded {
    torch::Tensor texts, images;
    int64_t tokens = 0;
    double scale = 1;  // the similarity scale, read here rather than on an HTTP thread
  };
  std::unique_ptr<DynamicBatcher<EmbeddingJob, Embedded>> embeddings;
  // Images in, their captions out: the images of concurrent requests are captioned together.
  std::unique_ptr<DynamicBatcher<torch::Tensor, std::string>> captions;
  // A text in, restored, one text per model call.
  std::unique_ptr<DynamicBatcher<std::string, std::string>> restorations;

  void load(const engine::Registry& registry, const ServedModelOptions& options, ServingMetrics& servingMetrics);
  void bindServingMode(const ServedModelOptions& options, const std::string& target);
  void makeQueues(const ServedModelOptions& options);
  // One model call per item, in the order they come: what the modes without batching share.
  template <typename In, typename Out>
  std::unique_ptr<DynamicBatcher<In, Out>> oneAtATime(std::function<Out(const In&)> call) {
    return std::make_unique<DynamicBatcher<In, Out>>(
        [call](const std::vector<In>& items) {
          std::vector<Out> out;
          for (const auto& item : items) out.push_back(call(item));
          return out;
        },
        1, std::chrono::microseconds(0), nullptr, /*ownThread=*/false);
  }

  // Examples -> class probabilities, one model call for the whole batch.
  std::vector<std::vector<float>> runBatch(const std::vector<torch::Tensor>& examples) {
    torch::NoGradGuard noGrad;
    const torch::Tensor probabilities =
        torch::softmax(classification->batchLogits(examples), 1).to(torch::kCPU).contiguous();
    std::vector<std::vector<float>> out(examples.size());
    const int64_t n = probabilities.size(1);
    for (size_t i = 0; i < examples.size(); ++i) {
      const float* row = probabilities.data_ptr<float>() + static_cast<int64_t>(i) * n;
      out[i].assign(row, row + n);
    }
    return out;
  }
};

ServedModel::ServedModel(const engine::Registry& registry, const ServedModelOptions& options, ServingMetrics& metrics)
    : s_(std::make_unique<State>()) {
  std::promise<void> ready;
  State* state = s_.get();
  s_->worker = std::thread([state, &registry, options, &metrics, &ready] {
    try {
      state->load(registry, options, metrics);
    } catch (...) {
      ready.set_exception(std::current_exception());
      return;
    }
    ready.set_value();
    if (state->generator) state->generator->run();
    if (state->batcher) state->batcher->run();
    if (state->transcriber) state->transcriber->run();
    if (state->speaker) state->speaker->run();
    if (state->embeddings) state->embeddings->run();
    if (state->captions) state->captions->run();
    if (state->restorations) state->restorations->run();
  });
  try {
    ready.get_future().get();
  } catch (...) {
    s_->worker.join();
    throw;
  }
}

void ServedModel::State::load(const engine::Registry& registry, const ServedModelOptions& options,
                              ServingMetrics& servingMetrics) {
  loaded = engine::loadRun(registry, options.target, options.checkpoint, {});
  engine::configureServingRuntime(options.computeThreads);  // not the spec's training threads
  metrics = &servingMetrics;
  id = options.name.empty() ? engine::modelName(loaded) : options.name;
  description = engine::modelKind(loaded) + ", step " + std::to_string(loaded.step);
  created = unixSeconds(loaded.bundle.empty() ? loaded.run.spec() : loaded.bundle);
  serving = registry.modelInfo(loaded.spec).capabilities.serving;
  loaded.model->module().eval();
  bindServingMode(options, options.target);
}

// The model's interface for its declared serving mode, and the queue that feeds it.
void ServedModel::State::bindServingMode(const ServedModelOptions& options, const std::string& target) {
  engine::Model* model = loaded.model.get();
  if (serving == engine::serving::kChat) {
    generation = dynamic_cast<engine::TextGeneration*>(model);
  } else if (serving == engine::serving::kImageClassification) {
    classification = images = dynamic_cast<engine::ImageClassification*>(model);
  } else if (serving == engine::serving::kTextClassification) {
    classification = texts = dynamic_cast<engine::TextClassification*>(model);
  } else if (serving == engine::serving::kTranscription) {
    speech = dynamic_cast<engine::SpeechRecognition*>(model);
  } else if (serving == engine::serving::kSpeech) {
    voice = dynamic_cast<engine::SpeechSynthesis*>(model);
  } else if (serving == engine::serving::kEmbedding) {
    embedder = dynamic_cast<engine::Embedding*>(model);
  } else if (serving == engine::serving::kCaptioning) {
    captioner = dynamic_cast<engine::ImageCaptioning*>(model);
  } else if (serving == engine::serving::kPunctuation) {
    restorer = dynamic_cast<engine::TextRestoration*>(model);
  } else {
    throw std::runtime_error(
        "reef serve answers models whose collection declares a serving mode (`reef catalog --json`: "
        "capabilities.serving); '" +
        target + "' is a " + description + " model, which serves " + serving);
  }
  if (!generation && !classification && !speech && !voice && !embedder && !captioner && !restorer)
    throw std::logic_error(engine::modelKind(loaded) + " declares serving " + serving +
                           " but its model does not implement that mode's interface (backend/engine/core/inference.h)");
  makeQueues(options);
}

// The queue that feeds the bound interface on the worker thread.
void ServedModel::State::makeQueues(const ServedModelOptions& options) {
  if (generation) {
    const engine::BatchLimits limits{static_cast<int64_t>(options.maxBatch), options.cacheTokens};
    generator = std::make_unique<GenerationScheduler>([this, limits] { return generation->newBatch(limits); },
                                                      [this](size_t stepped, size_t running, size_t waiting) {
                                                        if (stepped > 0) metrics->batchRun(stepped);
                                                        metrics->generationQueue(running, waiting);
                                                      });
  } else if (speech) {
    transcriber = oneAtATime<std::vector<float>, engine::Transcription>(
        [this](const std::vector<float>& samples) { return speech->transcribeTimed(samples); });
  } else if (embedder) {
    embeddings = oneAtATime<EmbeddingJob, Embedded>([this](const EmbeddingJob& job) {
      Embedded e;
      if (!job.texts.empty()) e.texts = embedder->textEmbeddings(job.texts);
      if (!job.images.empty()) e.images = embedder->imageEmbeddings(job.images);
      for (const auto& t : job.texts) e.tokens += embedder->tokenCount(t);
      e.scale = embedder->similarityScale();
      return e;
    });
  } else if (voice) {
    speaker = oneAtATime<std::pair<std::string, double>, std::vector<float>>(
        [this](const std::pair<std::string, double>& s) { return voice->synthesize(s.first, s.second); });
  } else if (restorer) {
    restorations = oneAtATime<std::string, std::string>([this](const std::string& t) { return restorer->restore(t); });
  } else if (captioner) {
    captions = std::make_unique<DynamicBatcher<torch::Tensor, std::string>>(
        [this](const std::vector<torch::Tensor>& images) { return captioner->captions(images); }, options.maxBatch,
        options.maxWait, [this](size_t size) { metrics->batchRun(size); }, /*ownThread=*/false);
  } else {
    batcher = std::make_unique<DynamicBatcher<torch::Tensor, std::vector<float>>>(
        [this](const std::vector<torch::Tensor>& examples) { return runBatch(examples); }, options.maxBatch,
        options.maxWait, [this](size_t size) { metrics->batchRun(size); }, /*ownThread=*/false);
  }
}

ServedModel::~ServedModel() {
  if (s_->generator) s_->generator->stop();
  if (s_->batcher) s_->batcher->stop();
  if (s_->transcriber) s_->transcriber->stop();
  if (s_->speaker) s_->speaker->stop();
  if (s_->embeddings) s_->embeddings->stop();
  if (s_->captions) s_->captions->stop();
  if (s_->restorations) s_->restorations->stop();
  s_->worker.join();
}

const std::string& ServedModel::id() const { return s_->id; }
const std::string& ServedModel::serving() const { return s_->serving; }
bool ServedModel::generatesText() const { return s_->generation != nullptr || s_->captioner != nullptr; }
std::string ServedModel::description() const { return s_->description; }
int64_t ServedModel::created() const { return s_->created; }

namespace {

// A captioner's request: its one image as pixels [C, H, W], or ApiError 400 naming messages.
torch::Tensor captionImage(const std::string& id, const std::string& serving, const GenerationRequest& request) {
  if (!request.chat) throw wrongEndpoint(id, serving);
  if (request.images.size() != 1)
    throw invalidRequest("model '" + id +
                             "' captions one image per request: give it as an image_url content part "
                             "(a data: URL); the request has " +
                             std::to_string(request.images.size()),
                         "messages");
  int64_t pixelsLeft = kMaxRequestPixels;
  const AnyImage image = decodeAnyImage(request.images.front(), "the image_url part", "messages", pixelsLeft);
  return torch::tensor(image.pixels).view({image.size.channels, image.size.height, image.size.width});
}

}  // namespace

void ServedModel::checkRequest(const GenerationRequest& request) const {
  if (s_->captioner) {
    captionImage(s_->id, s_->serving, request);  // decoded here too, so that a stream fails before its 200
    return;
  }
  if (!s_->generation) throw wrongEndpoint(s_->id, s_->serving);
  if (!request.images.empty())
    throw invalidRequest("model '" + s_->id + "' reads text only: images go to a model that serves captioning",
                         "messages");
  const int64_t context = s_->generation->contextLength();
  const int64_t promptTokens = s_->generation->promptLength(request.prompt);
  if (promptTokens >= context)
    throw ApiError(400, "invalid_request_error",
                   "the prompt is " + std::to_string(promptTokens) + " tokens; model '" + s_->id +
                       "' has a context of " + std::to_string(context) + " tokens and needs room for one more",
                   request.chat ? "messages" : "prompt", "context_length_exceeded");
}

Completion ServedModel::complete(const GenerationRequest& request,
                                 const std::function<bool(const std::string&)>& onText) {
  if (s_->captioner) return caption(request, onText);  // which checks the request itself
  checkRequest(request);
  engine::SamplingOptions o;
  o.maxTokens = request.maxTokens;
  o.temperature = request.temperature;
  o.topP = request.topP;
  o.topK = request.topK;
  o.repetitionPenalty = request.repetitionPenalty;
  o.stop = request.stop;
  o.seed = request.seed.value_or(static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count()));
  const engine::GenerationResult r = generateRelayed(*s_->generator, request.prompt, o, onText);
  s_->metrics->tokensGenerated(static_cast<int64_t>(r.tokens.size()), r.seconds);
  return {r.text,
          r.finishReason,
          {static_cast<int64_t>(r.promptTokens.size()), static_cast<int64_t>(r.tokens.size())},
          r.seconds};
}

namespace {

// One classified example as /v1/classify answers it: the best class and the `topK` best.
Json classified(size_t index, const std::vector<float>& p, const std::vector<std::string>& classes, int64_t topK) {
  const auto k = static_cast<size_t>(std::min<int64_t>(topK, static_cast<int64_t>(classes.size())));
  std::vector<size_t> order(p.size());
  for (size_t c = 0; c < order.size(); ++c) order[c] = c;
  std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(k), order.end(),
                    [&](size_t a, size_t b) { return p[a] > p[b]; });
  Json top = Json::array();
  for (size_t j = 0; j < k; ++j) top.push_back({{"label", classes[order[j]]}, {"score", p[order[j]]}});
  return {
      {"index", index}, {"label", classes[order[0]]}, {"label_index", order[0]}, {"score", p[order[0]]}, {"top", top}};
}

std::vector<float> row(const torch::Tensor& matrix, int64_t i) {
  const torch::Tensor r = matrix[i].contiguous();
  return std::vector<float>(r.data_ptr<float>(), r.data_ptr<float>() + r.numel());
}

// Images of any size, checked before any is embedded, as [4, H, W] tensors.
std::vector<torch::Tensor> anyImages(const Json& inputs, const std::string& param) {
  std::vector<torch::Tensor> images;
  int64_t pixelsLeft = kMaxRequestPixels;
  for (size_t i = 0; i < inputs.size(); ++i) {
    AnyImage image = decodeAnyImage(inputs[i], param + "[" + std::to_string(i) + "]", param, pixelsLeft);
    images.push_back(torch::tensor(image.pixels).view({image.size.channels, image.size.height, image.size.width}));
  }
  return images;
}

}  // namespace

Json ServedModel::classify(const ClassifyRequest& request) {
  if (s_->embedder) return classifyZeroShot(request);
  if (!s_->batcher) throw wrongEndpoint(s_->id, s_->serving);
  if (!request.labels.empty())
    throw invalidRequest("model '" + s_->id + "' classifies into the classes it was trained on: leave out 'labels'",
                         "labels");
  // Every input is checked before any is classified, so that a bad one fails the request alone.
  std::vector<torch::Tensor> examples;
  for (size_t i = 0; i < request.inputs.size(); ++i) {
    const std::string where = "input[" + std::to_string(i) + "]";
    const Json& input = request.inputs[i];
    if (s_->images) {
      const auto shape = s_->images->inputShape();
      const std::vector<float> pixels = decodeImage(input, {shape.channels, shape.height, shape.width}, where);
      examples.push_back(torch::tensor(pixels).view({shape.channels, shape.height, shape.width}));
    } else {
      if (!input.is_string())
        throw invalidRequest(where + " must be a string: model '" + s_->id + "' classifies text", "input");
      examples.push_back(s_->texts->tokenIds(input.get<std::string>()));
    }
  }
  std::vector<std::future<std::vector<float>>> pending;
  for (auto& e : examples) pending.push_back(s_->batcher->submit(std::move(e)));
  Json data = Json::array();
  for (size_t i = 0; i < pending.size(); ++i)
    data.push_back(classified(i, pending[i].get(), s_->classification->classNames(), request.topK));
  return {{"object", "list"}, {"model", s_->id}, {"data", data}};
}

// Each image against each label's prompt: probabilities from the scaled cosine similarities, as
// the model was trained to compare them.
Json ServedModel::classifyZeroShot(const ClassifyRequest& request) {
  if (request.labels.empty())
    throw invalidRequest("model '" + s_->id + "' classifies zero-shot: give 'labels', the class names to choose from",
                         "labels");
  State::EmbeddingJob job;
  job.images = anyImages(request.inputs, "input");
  for (const auto& label : request.labels) job.texts.push_back(s_->embedder->labelPrompt(label));
  const State::Embedded e = s_->embeddings->submit(std::move(job)).get();
  const torch::Tensor p = torch::softmax(e.scale * e.images.matmul(e.texts.t()), 1);
  Json data = Json::array();
  for (int64_t i = 0; i < p.size(0); ++i)
    data.push_back(classified(static_cast<size_t>(i), row(p, i), request.labels, request.topK));
  return {{"object", "list"}, {"model", s_->id}, {"data", data}};
}

Json ServedModel::embed(const EmbeddingRequest& request) {
  if (!s_->embedder) throw wrongEndpoint(s_->id, s_->serving);
  const int64_t dimensions = s_->embedder->dimensions();
  if (request.dimensions && *request.dimensions != dimensions)
    throw invalidRequest(
        "model '" + s_->id + "' embeds in " + std::to_string(dimensions) + " dimensions; 'dimensions' can only be that",
        "dimensions");
  State::EmbeddingJob job;
  job.texts = request.texts;
  job.images = anyImages(request.images, "image");
  const State::Embedded e = s_->embeddings->submit(std::move(job)).get();
  std::vector<std::vector<float>> vectors;
  for (int64_t i = 0; e.texts.defined() && i < e.texts.size(0); ++i) vectors.push_back(row(e.texts, i));
  for (int64_t i = 0; e.images.defined() && i < e.images.size(0); ++i) vectors.push_back(row(e.images, i));
  return embeddingResponse(request, vectors, e.tokens);
}

Json ServedModel::transcribe(const TranscriptionRequest& request) {
  if (!s_->transcriber) throw wrongEndpoint(s_->id, s_->serving);
  protocol::audio::Audio audio;
  try {
    audio = protocol::audio::decodeAudio(request.audio, s_->speech->sampleRate());
  } catch (const std::runtime_error& e) {
    throw invalidRequest(std::string("'file' is not audio Reef can read: ") + e.what(), "file");
  }
  const double seconds = audio.seconds();
  if (seconds > kMaxAudioSeconds)
    throw invalidRequest("'file' holds " + std::to_string(static_cast<int>(seconds)) +
                             " s of audio; this server transcribes at most " +
                             std::to_string(static_cast<int>(kMaxAudioSeconds)) + " s per request: split it",
                         "file");
  const engine::Transcription t = s_->transcriber->submit(std::move(audio.samples)).get();
  Json words = Json::array();
  for (const auto& w : t.words) words.push_back({{"word", w.word}, {"start", w.start}, {"end", w.end}});
  return {{"text", t.text}, {"duration", seconds}, {"words", words}};
}

int ServedModel::speechRate() const {
  if (!s_->voice) throw wrongEndpoint(s_->id, s_->serving);
  return s_->voice->sampleRate();
}

std::vector<float> ServedModel::speak(const std::string& sentence, double speed) {
  if (!s_->speaker) throw wrongEndpoint(s_->id, s_->serving);
  try {
    return s_->speaker->submit({sentence, speed}).get();
  } catch (const engine::NothingToSay& e) {
    throw invalidRequest(e.what(), "input");
  }
}

// The image's caption as the assistant's answer; the request's text is not read (the captioner
// conditions on the image alone), and it is greedy, so sampling settings do not apply.
Completion ServedModel::caption(const GenerationRequest& request,
                                const std::function<bool(const std::string&)>& onText) {
  const auto started = std::chrono::steady_clock::now();
  const std::string text = s_->captions->submit(captionImage(s_->id, s_->serving, request)).get();
  if (onText) onText(text);
  Completion c{text, "stop", {s_->captioner->imageTokens(), s_->captioner->captionTokens(text)}, 0};
  c.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  s_->metrics->tokensGenerated(c.usage.completionTokens, c.seconds);
  return c;
}

Json ServedModel::punctuate(const PunctuationRequest& request) {
  if (!s_->restorations) throw wrongEndpoint(s_->id, s_->serving);
  std::vector<std::future<std::string>> pending;
  for (const auto& text : request.texts) pending.push_back(s_->restorations->submit(text));
  std::vector<std::string> restored;
  for (auto& p : pending) restored.push_back(p.get());
  return punctuationResponse(request, restored);
}

}  // namespace reef::deploy
