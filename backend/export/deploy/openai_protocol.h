#pragma once
// The OpenAI-style request and response bodies `reef serve` speaks, torch-free: requests are
// parsed and checked here (every wrong field becomes an ApiError naming it), responses and
// stream chunks are built here, so that the server only moves bytes and runs models.
#include "backend/protocol/json.h"

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace reef::deploy {

// A 4xx/5xx answer: HTTP status and the OpenAI error object {"error": {message, type, param, code}}.
struct ApiError : std::runtime_error {
  ApiError(int status, std::string type, const std::string& message, std::string param = {}, std::string code = {})
      : std::runtime_error(message),
        status(status),
        type(std::move(type)),
        param(std::move(param)),
        code(std::move(code)) {}
  int status;
  std::string type, param, code;
  Json body() const;
};

ApiError invalidRequest(const std::string& message, const std::string& param = {});

// Generation settings shared by completions and chat completions.
struct GenerationRequest {
  std::string model;
  std::string prompt;  // for chat: the messages rendered by renderChat()
  int64_t maxTokens = 16;
  double temperature = 1.0;
  double topP = 1.0;
  int64_t topK = 0;                // extension (vLLM accepts it too)
  double repetitionPenalty = 1.0;  // extension
  std::vector<std::string> stop;
  std::optional<uint64_t> seed;
  bool stream = false;
  bool chat = false;
  Json images = Json::array();  // chat: the data: URLs of the messages' image_url parts, in order
};

// `body` is the raw request text; throws ApiError for malformed JSON, wrong types or values out
// of range. Unknown fields are ignored, as OpenAI clients send optional extras (user, logprobs).
GenerationRequest parseCompletionRequest(const std::string& body);
GenerationRequest parseChatRequest(const std::string& body);

// Reef's language models have no chat template: the contents of the messages, in order, joined
// by newlines, followed by a newline: what a model fine-tuned on input/output pairs continues.
// Content parts are text, or image_url with a data: URL, collected into `images` (without it an
// image part is an error).
std::string renderChat(const Json& messages, Json* images = nullptr);

// Images to classify: each input is either a base64 PNG/JPEG (a data: URL or bare base64) or a
// nested array of pixel values 0..255, [H][W] or [C][H][W].
// An embedding model classifies zero-shot: `labels` (2 to 1,000) are the classes, each compared
// as the model's prompt; images are then base64 PNG/JPEG of any size.
struct ClassifyRequest {
  std::string model;
  Json inputs;  // array, checked to be non-empty and of the types above
  int64_t topK = 5;
  std::vector<std::string> labels;
};
ClassifyRequest parseClassifyRequest(const std::string& body);

// /v1/audio/transcriptions, from its multipart form: `fields` holds every part but the audio
// (a name may repeat: timestamp_granularities[]). Throws ApiError naming the field that is wrong.
struct TranscriptionRequest {
  std::string model, audio, responseFormat = "json";
  bool wordTimes = false;  // timestamp_granularities[] includes "word"
};
TranscriptionRequest parseTranscriptionRequest(const std::vector<std::pair<std::string, std::string>>& fields,
                                               std::string audio);
// The answer in the requested format: "json" {"text"}, "verbose_json" (task, language, duration,
// text, segments, and words when asked for) or "text" (plain). `transcript` is the model's
// {"text", "duration", "words": [{word, start, end}]}. Returns the body and its content type.
std::pair<std::string, std::string> transcriptionResponse(const TranscriptionRequest& request, const Json& transcript);

// /v1/embeddings: `input` a string or an array of strings (token arrays are not taken), and Reef's
// `image`: a base64 PNG/JPEG or data: URL, or an array of them; at least one text or image.
// `encoding_format` float | base64 (the official clients ask for base64), `dimensions` only the
// model's own.
struct EmbeddingRequest {
  std::string model;
  std::vector<std::string> texts;
  Json images = Json::array();
  bool base64 = false;
  std::optional<int64_t> dimensions;
};
EmbeddingRequest parseEmbeddingRequest(const std::string& body);
// The texts' vectors, then the images', in that order; promptTokens counts the texts' tokens.
Json embeddingResponse(const EmbeddingRequest& request, const std::vector<std::vector<float>>& vectors,
                       int64_t promptTokens);

// /v1/audio/speech: `input` (1-4096 characters), `response_format` wav | flac | pcm (default wav;
// pcm is 16-bit little-endian mono at 24 kHz, as OpenAI's), `speed` 0.25-4. `voice` is accepted
// and ignored when a string: Reef's speech models have one voice each.
struct SpeechRequest {
  std::string model, input, responseFormat = "wav";
  double speed = 1.0;
};
SpeechRequest parseSpeechRequest(const std::string& body);
inline constexpr int kPcmSampleRate = 24000;
inline constexpr size_t kMaxSpeechCharacters = 4096;
// The input in the pieces it is spoken in, each said and sent before the next: sentences (ended
// by . ! ? ; before a space, or a line break); past kSpeechPieceBytes / 2 also clauses (a comma or
// colon before a space), past kSpeechPieceBytes any space. Never empty, whitespace trimmed.
inline constexpr size_t kSpeechPieceBytes = 300;
std::vector<std::string> speechSentences(const std::string& input);
// The content type of a speech response_format.
std::string speechContentType(const std::string& responseFormat);

// /v1/punctuate, Reef's own: `input` a text or an array of texts (none empty), at most
// kMaxPunctuationTexts texts and kMaxPunctuationCharacters in all; answered {"object": "list", "model", "data":
// [{index, text}]} with each text's punctuation and capitals restored.
struct PunctuationRequest {
  std::string model;
  std::vector<std::string> texts;
};
inline constexpr size_t kMaxPunctuationCharacters = 100000, kMaxPunctuationTexts = 1000;
PunctuationRequest parsePunctuationRequest(const std::string& body);
Json punctuationResponse(const PunctuationRequest& request, const std::vector<std::string>& restored);

// The endpoint that answers a serving mode, for errors that send a client to the right one.
std::string endpointFor(const std::string& serving);
// 400 naming "model": model `id` serves `serving`, and the endpoint to use instead.
ApiError wrongEndpoint(const std::string& id, const std::string& serving);

struct Usage {
  int64_t promptTokens = 0, completionTokens = 0;
};

// The whole answer of a non-streamed request.
Json completionResponse(const GenerationRequest& request, const std::string& id, int64_t created,
                        const std::string& text, const std::string& finishReason, const Usage& usage);
// One server-sent event's data for a streamed request: `text` (may be empty) and, in the last
// chunk, the finish reason. A chat stream's first chunk carries the assistant role.
Json streamChunk(const GenerationRequest& request, const std::string& id, int64_t created, const std::string& text,
                 const std::optional<std::string>& finishReason, bool first);

Json modelList(const std::string& id, int64_t created);

}  // namespace reef::deploy
