#include "backend/export/deploy/openai_protocol.h"

#include "backend/protocol/base64.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstring>

namespace reef::deploy {

Json ApiError::body() const {
  return {{"error",
           {{"message", what()},
            {"type", type},
            {"param", param.empty() ? Json() : Json(param)},
            {"code", code.empty() ? Json() : Json(code)}}}};
}

ApiError invalidRequest(const std::string& message, const std::string& param) {
  return ApiError(400, "invalid_request_error", message, param);
}

namespace {

Json parseObject(const std::string& body) {
  Json j;
  try {
    // Nesting is bounded while parsing: copying a value recurses once per level, so a body of a
    // few hundred thousand '[' would overflow a thread's stack later.
    j = Json::parse(body, [](int depth, Json::parse_event_t, Json&) {
      if (depth > 32) throw invalidRequest("the request body nests deeper than 32 levels");
      return true;
    });
  } catch (const Json::exception& e) {  // a syntax error, or a number beyond a double (1e400)
    throw invalidRequest(std::string("the request body is not valid JSON: ") + e.what() +
                         " (send a JSON object with Content-Type: application/json)");
  }
  if (!j.is_object()) throw invalidRequest("the request body must be a JSON object, not " + std::string(j.type_name()));
  return j;
}

std::string typeName(const Json& v) { return v.type_name(); }

std::string requireString(const Json& j, const char* key) {
  if (!j.contains(key)) throw invalidRequest(std::string("'") + key + "' is required", key);
  if (!j[key].is_string())
    throw invalidRequest(std::string("'") + key + "' must be a string, not " + typeName(j[key]), key);
  return j[key].get<std::string>();
}

// The value of an optional number field within [lo, hi]; null counts as absent.
template <typename T>
T number(const Json& j, const char* key, T fallback, double lo, double hi) {
  if (!j.contains(key) || j[key].is_null()) return fallback;
  const Json& v = j[key];
  const bool integral = std::is_integral_v<T>;
  if (!v.is_number() || (integral && !v.is_number_integer()))
    throw invalidRequest(std::string("'") + key + "' must be " + (integral ? "an integer" : "a number") + ", not " +
                             (v.is_number() ? v.dump() : typeName(v)),
                         key);
  const double d = v.get<double>();
  if (!std::isfinite(d) || d < lo || d > hi)
    throw invalidRequest(
        std::string("'") + key + "' is " + v.dump() + "; allowed: " + Json(lo).dump() + " to " + Json(hi).dump(), key);
  return v.get<T>();
}

bool boolean(const Json& j, const char* key) {
  if (!j.contains(key) || j[key].is_null()) return false;
  if (!j[key].is_boolean()) throw invalidRequest(std::string("'") + key + "' must be true or false", key);
  return j[key].get<bool>();
}

GenerationRequest parseGeneration(const Json& j, bool chat) {
  GenerationRequest r;
  r.chat = chat;
  r.model = requireString(j, "model");
  r.maxTokens = number<int64_t>(j, chat && !j.contains("max_tokens") ? "max_completion_tokens" : "max_tokens",
                                chat ? 256 : 16, 1, 1 << 20);
  r.temperature = number<double>(j, "temperature", 1.0, 0, 2);
  r.topP = number<double>(j, "top_p", 1.0, 0, 1);
  r.topK = number<int64_t>(j, "top_k", 0, 0, 1 << 30);
  r.repetitionPenalty = number<double>(j, "repetition_penalty", 1.0, 0.01, 100);
  if (j.contains("seed") && !j["seed"].is_null()) r.seed = number<uint64_t>(j, "seed", 0, 0, 1.8e19);
  r.stream = boolean(j, "stream");
  if (number<int64_t>(j, "n", 1, 1, 128) != 1)
    throw invalidRequest("'n' must be 1: Reef returns one choice per request", "n");
  if (j.contains("stop") && !j["stop"].is_null()) {
    const Json& s = j["stop"];
    if (s.is_string()) {
      r.stop.push_back(s.get<std::string>());
    } else if (s.is_array() && s.size() <= 4) {
      for (const auto& e : s) {
        if (!e.is_string()) throw invalidRequest("'stop' must be a string or an array of up to 4 strings", "stop");
        r.stop.push_back(e.get<std::string>());
      }
    } else {
      throw invalidRequest("'stop' must be a string or an array of up to 4 strings", "stop");
    }
    for (const auto& s : r.stop)
      if (s.empty()) throw invalidRequest("'stop' strings must not be empty", "stop");
  }
  return r;
}

}  // namespace

GenerationRequest parseCompletionRequest(const std::string& body) {
  const Json j = parseObject(body);
  GenerationRequest r = parseGeneration(j, false);
  if (!j.contains("prompt")) throw invalidRequest("'prompt' is required", "prompt");
  const Json& p = j["prompt"];
  if (p.is_string()) {
    r.prompt = p.get<std::string>();
  } else if (p.is_array() && p.size() == 1 && p[0].is_string()) {
    r.prompt = p[0].get<std::string>();
  } else {
    throw invalidRequest(
        "'prompt' must be a string (or an array holding one string); token arrays and batches of "
        "prompts are not supported",
        "prompt");
  }
  return r;
}

namespace {

// Characters, as OpenAI counts them: UTF-8 code points, not bytes.
size_t codePoints(const std::string& text) {
  return static_cast<size_t>(
      std::count_if(text.begin(), text.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

// The URL of an image_url content part: a data: URL (the server fetches nothing).
std::string imageUrl(const Json& part, const std::string& where) {
  const Json& image = part.contains("image_url") ? part["image_url"] : Json();
  const Json url = image.is_object() ? image.value("url", Json()) : image;
  if (!url.is_string())
    throw invalidRequest(where + " must hold image_url {\"url\": \"data:image/png;base64,...\"}", "messages");
  const std::string u = url.get<std::string>();
  if (u.rfind("data:", 0) != 0)
    throw invalidRequest(where +
                             ".image_url.url must be a data: URL (a base64 PNG or JPEG): reef serve fetches "
                             "nothing from the network",
                         "messages");
  return u;
}

}  // namespace

std::string renderChat(const Json& messages, Json* images) {
  if (!messages.is_array() || messages.empty())
    throw invalidRequest("'messages' must be a non-empty array of {role, content} objects", "messages");
  std::string prompt;
  for (size_t i = 0; i < messages.size(); ++i) {
    const Json& m = messages[i];
    const std::string where = "messages[" + std::to_string(i) + "]";
    if (!m.is_object() || !m.contains("role") || !m["role"].is_string())
      throw invalidRequest(where + " must be an object with a string 'role'", "messages");
    const std::string role = m["role"].get<std::string>();
    if (role != "system" && role != "user" && role != "assistant" && role != "developer")
      throw invalidRequest(where + ".role is '" + role + "'; allowed: system, developer, user, assistant", "messages");
    const Json& c = m.contains("content") ? m["content"] : Json();
    if (c.is_string()) {
      prompt += c.get<std::string>();
    } else if (c.is_array()) {
      for (size_t k = 0; k < c.size(); ++k) {
        const Json& part = c[k];
        const std::string type = part.is_object() && part.contains("type") && part["type"].is_string()
                                     ? part["type"].get<std::string>()
                                     : "";
        const std::string at = where + ".content[" + std::to_string(k) + "]";
        if (type == "text" && part.contains("text") && part["text"].is_string())
          prompt += part["text"].get<std::string>();
        else if (type == "image_url" && images)
          images->push_back(imageUrl(part, at));
        else
          throw invalidRequest(at + " must be {\"type\": \"text\", \"text\": ...} or an image_url part", "messages");
      }
    } else {
      throw invalidRequest(where + ".content must be a string or an array of text and image_url parts", "messages");
    }
    prompt += "\n";
  }
  return prompt;
}

GenerationRequest parseChatRequest(const std::string& body) {
  const Json j = parseObject(body);
  GenerationRequest r = parseGeneration(j, true);
  if (!j.contains("messages")) throw invalidRequest("'messages' is required", "messages");
  r.prompt = renderChat(j["messages"], &r.images);
  return r;
}

ClassifyRequest parseClassifyRequest(const std::string& body) {
  const Json j = parseObject(body);
  ClassifyRequest r;
  r.model = requireString(j, "model");
  r.topK = number<int64_t>(j, "top_k", 5, 1, 1 << 20);
  if (!j.contains("input")) throw invalidRequest("'input' is required: an image or an array of images", "input");
  Json in = j["input"];
  // One image given bare (a string, or a pixel array whose first element is a row, not an image).
  const bool single =
      in.is_string() || (in.is_array() && !in.empty() && in[0].is_array() && !in[0].empty() && in[0][0].is_number());
  if (single) in = Json::array({in});
  if (!in.is_array() || in.empty())
    throw invalidRequest(
        "'input' must be an image or a non-empty array of images (base64 PNG/JPEG strings or pixel "
        "arrays)",
        "input");
  for (size_t i = 0; i < in.size(); ++i)
    if (!in[i].is_string() && !in[i].is_array())
      throw invalidRequest("input[" + std::to_string(i) + "] is " + typeName(in[i]) +
                               "; an image is a base64 PNG/JPEG string or a nested array of pixel values 0..255",
                           "input");
  r.inputs = std::move(in);
  if (j.contains("labels") && !j["labels"].is_null()) {
    const Json& l = j["labels"];
    if (!l.is_array() || l.size() < 2 || l.size() > 1000)
      throw invalidRequest("'labels' must be an array of 2 to 1000 class names", "labels");
    for (const auto& label : l) {
      if (!label.is_string() || label.get<std::string>().empty())
        throw invalidRequest("'labels' holds " + label.dump() + "; each label is a non-empty string", "labels");
      r.labels.push_back(label.get<std::string>());
    }
  }
  return r;
}

Json completionResponse(const GenerationRequest& request, const std::string& id, int64_t created,
                        const std::string& text, const std::string& finishReason, const Usage& usage) {
  Json choice = {{"index", 0}};
  if (request.chat)
    choice["message"] = {{"role", "assistant"}, {"content", text}};
  else
    choice["text"] = text;
  choice["logprobs"] = nullptr;
  choice["finish_reason"] = finishReason;
  return {{"id", id},
          {"object", request.chat ? "chat.completion" : "text_completion"},
          {"created", created},
          {"model", request.model},
          {"choices", Json::array({choice})},
          {"usage",
           {{"prompt_tokens", usage.promptTokens},
            {"completion_tokens", usage.completionTokens},
            {"total_tokens", usage.promptTokens + usage.completionTokens}}}};
}

Json streamChunk(const GenerationRequest& request, const std::string& id, int64_t created, const std::string& text,
                 const std::optional<std::string>& finishReason, bool first) {
  Json choice = {{"index", 0}};
  if (request.chat) {
    Json delta = Json::object();
    if (first) delta["role"] = "assistant";
    if (!text.empty() || !finishReason) delta["content"] = text;
    choice["delta"] = delta;
  } else {
    choice["text"] = text;
  }
  choice["logprobs"] = nullptr;
  choice["finish_reason"] = finishReason ? Json(*finishReason) : Json();
  return {{"id", id},
          {"object", request.chat ? "chat.completion.chunk" : "text_completion"},
          {"created", created},
          {"model", request.model},
          {"choices", Json::array({choice})}};
}

Json modelList(const std::string& id, int64_t created) {
  return {{"object", "list"},
          {"data", Json::array({{{"id", id}, {"object", "model"}, {"created", created}, {"owned_by", "reef"}}})}};
}

TranscriptionRequest parseTranscriptionRequest(const std::vector<std::pair<std::string, std::string>>& fields,
                                               std::string audio) {
  TranscriptionRequest r;
  r.audio = std::move(audio);
  if (r.audio.empty()) throw invalidRequest("'file' is empty: send the audio to transcribe", "file");
  bool named = false;
  for (const auto& [name, value] : fields) {
    if (name == "model") {
      r.model = value;
      named = true;
    } else if (name == "response_format") {
      if (value != "json" && value != "text" && value != "verbose_json")
        throw invalidRequest("response_format '" + value + "' is not one of json, text, verbose_json",
                             "response_format");
      r.responseFormat = value;
    } else if (name == "language") {
      // Reef's speech models are trained on English speech only.
      if (value != "en" && value != "english" && value != "English")
        throw invalidRequest("language '" + value + "': this model transcribes English (en)", "language");
    } else if (name == "timestamp_granularities[]" || name == "timestamp_granularities") {
      if (value != "word" && value != "segment")
        throw invalidRequest("timestamp_granularities holds '" + value + "': give word or segment",
                             "timestamp_granularities");
      r.wordTimes = r.wordTimes || value == "word";
    }
  }
  if (!named) throw invalidRequest("'model' is required", "model");
  return r;
}

std::pair<std::string, std::string> transcriptionResponse(const TranscriptionRequest& request, const Json& transcript) {
  const std::string text = transcript.at("text").get<std::string>();
  if (request.responseFormat == "text") return {text + "\n", "text/plain; charset=utf-8"};
  if (request.responseFormat == "json") return {Json{{"text", text}}.dump(), "application/json"};
  const double duration = transcript.at("duration").get<double>();
  const Json& words = transcript.at("words");
  const double start = words.empty() ? 0.0 : words.front().at("start").get<double>();
  const double end = words.empty() ? duration : words.back().at("end").get<double>();
  Json out = {{"task", "transcribe"},
              {"language", "english"},
              {"duration", duration},
              {"text", text},
              {"segments", Json::array({{{"id", 0}, {"seek", 0}, {"start", start}, {"end", end}, {"text", text}}})}};
  if (request.wordTimes) out["words"] = words;
  return {out.dump(), "application/json"};
}

EmbeddingRequest parseEmbeddingRequest(const std::string& body) {
  const Json j = parseObject(body);
  EmbeddingRequest r;
  r.model = requireString(j, "model");
  if (j.contains("input") && !j["input"].is_null()) {
    const Json& in = j["input"];
    const Json texts = in.is_string() ? Json::array({in}) : in;
    if (!texts.is_array())
      throw invalidRequest("'input' must be a string or an array of strings, not " + typeName(in), "input");
    for (const auto& t : texts) {
      if (!t.is_string())
        throw invalidRequest("'input' holds " + typeName(t) + "; Reef embeds text given as strings (not token ids)",
                             "input");
      if (t.get<std::string>().empty()) throw invalidRequest("'input' holds an empty string", "input");
      r.texts.push_back(t.get<std::string>());
    }
  }
  if (j.contains("image") && !j["image"].is_null()) {
    const Json& image = j["image"];
    r.images = image.is_string() ? Json::array({image}) : image;
    if (!r.images.is_array())
      throw invalidRequest("'image' must be a base64 image or an array of them, not " + typeName(image), "image");
  }
  const size_t items = r.texts.size() + r.images.size();
  if (items == 0) throw invalidRequest("give 'input' (text) or 'image' (base64 PNG/JPEG), or both", "input");
  if (items > 2048) throw invalidRequest("at most 2048 texts and images per request", "input");
  if (j.contains("encoding_format") && !j["encoding_format"].is_null()) {
    const Json& f = j["encoding_format"];
    if (f != "float" && f != "base64")
      throw invalidRequest("encoding_format " + f.dump() + " is not float or base64", "encoding_format");
    r.base64 = f == "base64";
  }
  if (j.contains("dimensions") && !j["dimensions"].is_null())
    r.dimensions = number<int64_t>(j, "dimensions", 0, 1, 1 << 20);
  return r;
}

Json embeddingResponse(const EmbeddingRequest& request, const std::vector<std::vector<float>>& vectors,
                       int64_t promptTokens) {
  Json data = Json::array();
  for (size_t i = 0; i < vectors.size(); ++i) {
    Json item = {{"object", "embedding"}, {"index", i}};
    if (request.base64) {
      // Little-endian float32, as the OpenAI API sends and its clients decode.
      std::string bytes(vectors[i].size() * 4, '\0');
      for (size_t k = 0; k < vectors[i].size(); ++k) {
        uint32_t bits = 0;
        std::memcpy(&bits, &vectors[i][k], 4);
        for (int b = 0; b < 4; ++b) bytes[4 * k + static_cast<size_t>(b)] = static_cast<char>((bits >> (8 * b)) & 0xff);
      }
      item["embedding"] = protocol::encodeBase64(bytes);
    } else {
      item["embedding"] = vectors[i];
    }
    data.push_back(std::move(item));
  }
  return {{"object", "list"},
          {"data", data},
          {"model", request.model},
          {"usage", {{"prompt_tokens", promptTokens}, {"total_tokens", promptTokens}}}};
}

SpeechRequest parseSpeechRequest(const std::string& body) {
  const Json j = parseObject(body);
  SpeechRequest r;
  r.model = requireString(j, "model");
  r.input = requireString(j, "input");
  if (r.input.find_first_not_of(" \t\r\n") == std::string::npos)
    throw invalidRequest("'input' is empty: give the text to speak", "input");
  const size_t characters = codePoints(r.input);
  if (characters > kMaxSpeechCharacters)
    throw invalidRequest("'input' is " + std::to_string(characters) + " characters; at most " +
                             std::to_string(kMaxSpeechCharacters) + " per request: split it",
                         "input");
  if (j.contains("voice") && !j["voice"].is_null() && !j["voice"].is_string())
    throw invalidRequest("'voice' must be a string", "voice");
  if (j.contains("response_format") && !j["response_format"].is_null()) {
    const Json& f = j["response_format"];
    if (!f.is_string() || (f != "wav" && f != "flac" && f != "pcm"))
      throw invalidRequest(
          "response_format " + f.dump() + " is not one of wav, flac, pcm (mp3, opus and aac are not made here)",
          "response_format");
    r.responseFormat = f.get<std::string>();
  }
  r.speed = number<double>(j, "speed", 1.0, 0.25, 4.0);
  return r;
}

std::vector<std::string> speechSentences(const std::string& input) {
  std::vector<std::string> out;
  std::string current;
  const auto flush = [&] {
    const size_t first = current.find_first_not_of(" \t\r\n");
    if (first != std::string::npos)
      out.push_back(current.substr(first, current.find_last_not_of(" \t\r\n") - first + 1));
    current.clear();
  };
  for (size_t i = 0; i < input.size(); ++i) {
    const char c = input[i];
    current += c;
    const bool beforeSpace = i + 1 == input.size() || std::isspace(static_cast<unsigned char>(input[i + 1]));
    const bool sentence = (c == '.' || c == '!' || c == '?' || c == ';') && beforeSpace;
    // A long sentence is cut at a comma or colon, a very long one at a space: each piece is one
    // model call, and nothing is heard until the first is made.
    const bool clause = (c == ',' || c == ':') && beforeSpace && current.size() >= kSpeechPieceBytes / 2;
    const bool tooLong = std::isspace(static_cast<unsigned char>(c)) && current.size() >= kSpeechPieceBytes;
    if (c == '\n' || sentence || clause || tooLong) flush();
  }
  flush();
  return out;
}

std::string speechContentType(const std::string& responseFormat) {
  if (responseFormat == "flac") return "audio/flac";
  if (responseFormat == "pcm") return "audio/pcm";
  return "audio/wav";
}

PunctuationRequest parsePunctuationRequest(const std::string& body) {
  const Json j = parseObject(body);
  PunctuationRequest r;
  r.model = requireString(j, "model");
  if (!j.contains("input")) throw invalidRequest("'input' is required: a text or an array of texts", "input");
  const Json& in = j["input"];
  const Json texts = in.is_string() ? Json::array({in}) : in;
  if (!texts.is_array() || texts.empty())
    throw invalidRequest("'input' must be a string or a non-empty array of strings, not " + typeName(in), "input");
  if (texts.size() > kMaxPunctuationTexts)
    throw invalidRequest("'input' holds " + std::to_string(texts.size()) + " texts; at most " +
                             std::to_string(kMaxPunctuationTexts) + " per request",
                         "input");
  size_t characters = 0;
  for (size_t i = 0; i < texts.size(); ++i) {
    const std::string where = "input[" + std::to_string(i) + "]";
    if (!texts[i].is_string()) throw invalidRequest(where + " is " + typeName(texts[i]) + ", not a string", "input");
    r.texts.push_back(texts[i].get<std::string>());
    if (r.texts.back().find_first_not_of(" \t\r\n") == std::string::npos)
      throw invalidRequest(where + " holds no words to punctuate", "input");
    characters += codePoints(r.texts.back());
  }
  if (characters > kMaxPunctuationCharacters)
    throw invalidRequest("'input' holds " + std::to_string(characters) + " characters; at most " +
                             std::to_string(kMaxPunctuationCharacters) + " per request: split it",
                         "input");
  return r;
}

Json punctuationResponse(const PunctuationRequest& request, const std::vector<std::string>& restored) {
  Json data = Json::array();
  for (size_t i = 0; i < restored.size(); ++i) data.push_back({{"index", i}, {"text", restored[i]}});
  return {{"object", "list"}, {"model", request.model}, {"data", data}};
}

std::string endpointFor(const std::string& serving) {
  if (serving == "chat") return "/v1/completions or /v1/chat/completions";
  if (serving == "transcription") return "/v1/audio/transcriptions";
  if (serving == "speech") return "/v1/audio/speech";
  if (serving == "embedding") return "/v1/embeddings (or /v1/classify with labels)";
  if (serving == "captioning") return "/v1/chat/completions with an image_url content part";
  if (serving == "punctuation") return "/v1/punctuate";
  return "/v1/classify";
}

ApiError wrongEndpoint(const std::string& id, const std::string& serving) {
  return invalidRequest("model '" + id + "' serves " + serving + ": use " + endpointFor(serving), "model");
}

}  // namespace reef::deploy
