// OpenAI-style request bodies through `reef serve`'s real routes: a ModelServer on a loopback port,
// reached over HTTP as clients reach it, in front of three stand-ins for the model (the fuzzer
// cannot run a network per input): a text generator that streams back pieces of its prompt, byte
// by byte where the input says, an image classifier that decodes its inputs as ServedModel does,
// a speech model whose sentences last as long as their text and which cannot say a sentence
// without letters, and punctuation restored by each of them (a capital and a period). The first
// byte picks the route and the server; the rest is the body (or a model name). Every answer must be a 200 with JSON,
// server-sent events of JSON or audio, or a 4xx OpenAI error object: a 5xx, or anything else, is a finding.
#include "backend/export/deploy/image_input.h"
#include "backend/export/deploy/model_server.h"
#include "fuzz/fuzz_input.h"

#include <httplib.h>

#include <algorithm>
#include <cctype>
#include <memory>
#include <thread>

using namespace reef;

namespace {

class StandIn : public deploy::ModelEndpoint {
 public:
  StandIn(std::string id, std::string serving)
      : id_(std::move(id)), serving_(std::move(serving)), generates_(serving_ == "chat") {}
  const std::string& id() const override { return id_; }
  const std::string& serving() const override { return serving_; }
  bool generatesText() const override { return generates_; }
  std::string description() const override { return "fuzz/stand-in, step 0"; }
  int64_t created() const override { return 0; }
  void checkRequest(const deploy::GenerationRequest& request) const override {
    if (request.prompt.size() > 2048) throw deploy::invalidRequest("the prompt is longer than the context", "prompt");
  }
  deploy::Completion complete(const deploy::GenerationRequest& request,
                              const std::function<bool(const std::string&)>& onText) override {
    checkRequest(request);
    deploy::Completion c;
    // Pieces of one byte can split a UTF-8 character, as a byte-fallback token does.
    for (size_t at = 0; at < request.prompt.size() && c.usage.completionTokens < request.maxTokens; ++at) {
      const std::string piece = request.prompt.substr(at, 1);
      c.text += piece;
      ++c.usage.completionTokens;
      if (onText && !onText(piece)) break;
    }
    c.finishReason = c.usage.completionTokens == request.maxTokens ? "length" : "stop";
    return c;
  }
  Json classify(const deploy::ClassifyRequest& request) override {
    if (generates_) throw deploy::invalidRequest("model '" + id_ + "' is a language model", "model");
    Json data = Json::array();
    for (size_t i = 0; i < request.inputs.size(); ++i) {
      const auto pixels = deploy::decodeImage(request.inputs[i], {1, 4, 4}, "inputs[" + std::to_string(i) + "]");
      data.push_back({{"index", i}, {"label", "bright"}, {"score", pixels.empty() ? 0.0f : pixels[0]}});
    }
    return {{"object", "list"}, {"model", id_}, {"data", data}};
  }
  Json transcribe(const deploy::TranscriptionRequest&) override {
    throw deploy::invalidRequest("model '" + id_ + "' does not transcribe", "model");
  }
  Json embed(const deploy::EmbeddingRequest&) override {
    throw deploy::invalidRequest("model '" + id_ + "' does not embed", "model");
  }
  Json punctuate(const deploy::PunctuationRequest& request) override {
    std::vector<std::string> restored;
    for (std::string text : request.texts) {
      text[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(text[0])));
      restored.push_back(text + ".");
    }
    return deploy::punctuationResponse(request, restored);
  }
  int speechRate() const override { return 16000; }
  std::vector<float> speak(const std::string& sentence, double speed) override {
    if (std::none_of(sentence.begin(), sentence.end(), [](unsigned char c) { return std::isalpha(c); }))
      throw deploy::invalidRequest("nothing to say in '" + sentence + "'", "input");
    std::vector<float> samples(static_cast<size_t>(static_cast<double>(sentence.size()) * 160 / speed));
    for (size_t i = 0; i < samples.size(); ++i) samples[i] = static_cast<float>(i % 64) / 32.0f - 1.0f;
    return samples;
  }

 private:
  std::string id_, serving_;
  bool generates_;
};

struct Served {
  StandIn model;
  deploy::ServingMetrics metrics;
  deploy::ModelServer server;
  std::thread thread;
  int port = 0;
  Served(const std::string& id, const std::string& serving, const std::string& apiKey)
      : model(id, serving), server(model, metrics, {"127.0.0.1", 0, apiKey, 1u << 16, 4}) {
    port = server.bind();
    thread = std::thread([this] { server.run(); });
    while (!server.running()) std::this_thread::yield();
  }
  ~Served() {
    server.stop();
    thread.join();
  }
};

std::string percentEncoded(const std::string& text) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text)
    out += std::isalnum(c) ? std::string(1, static_cast<char>(c)) : std::string{'%', hex[c >> 4], hex[c & 15]};
  return out;
}

void checkAnswer(const httplib::Result& result, const std::string& route) {
  if (!result) fuzz::finding(route + ": no answer (" + httplib::to_string(result.error()) + ")");
  const int status = result->status;
  if (status >= 500 || status < 200) fuzz::finding(route + " answered " + std::to_string(status) + ": " + result->body);
  if (status == 200 && result->get_header_value("Content-Type").rfind("audio/", 0) == 0) {
    if (result->body.empty()) fuzz::finding(route + " answered 200 without audio");
    return;
  }
  if (result->get_header_value("Content-Type") == "text/event-stream") {
    size_t at = 0;
    for (size_t end; (end = result->body.find("\n\n", at)) != std::string::npos; at = end + 2) {
      const std::string event = result->body.substr(at, end - at);
      if (event.rfind("data: ", 0) != 0) fuzz::finding(route + " streamed '" + event + "'");
      if (event != "data: [DONE]" && !Json::accept(event.substr(6)))
        fuzz::finding(route + " streamed an event that is not JSON: " + event);
    }
    return;
  }
  const Json body = Json::parse(result->body, nullptr, false);
  if (body.is_discarded()) fuzz::finding(route + " answered with something that is not JSON: " + result->body);
  if (status >= 400 &&
      !(body.contains("error") && body["error"].contains("message") && body["error"]["message"].is_string()))
    fuzz::finding(route + " answered " + std::to_string(status) + " without an OpenAI error object: " + result->body);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Served chat("fuzz-chat", "chat", "fuzz-key");
  static Served classifier("fuzz-classifier", "image_classification", "");
  static Served speaker("fuzz-speaker", "speech", "");
  if (size == 0) return 0;
  const int which = (data[0] & 16) ? 2 : (data[0] & 8) ? 1 : 0;
  Served& served = which == 2 ? speaker : which == 1 ? classifier : chat;
  static thread_local std::unique_ptr<httplib::Client> clients[3];
  std::unique_ptr<httplib::Client>& client = clients[which];
  if (!client) {
    client = std::make_unique<httplib::Client>("127.0.0.1", served.port);
    client->set_keep_alive(true);
    client->set_tcp_nodelay(true);  // else each request waits for a delayed ACK (40 ms)
    client->set_bearer_token_auth("fuzz-key");
  }
  const std::string body = fuzz::text(data + 1, size - 1);
  static const char* routes[] = {"/v1/completions", "/v1/chat/completions", "/v1/classify", "/v1/models/"};
  const std::string route = (data[0] & 32)                ? "/v1/punctuate"
                            : which == 2 && (data[0] & 1) ? "/v1/audio/speech"
                                                          : routes[data[0] % 4];
  if (route == "/v1/models/")
    checkAnswer(client->Get(route + percentEncoded(body)), route);
  else
    checkAnswer(client->Post(route, body, "application/json"), route);
  return 0;
}
