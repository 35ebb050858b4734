#include "backend/export/deploy/model_server.h"

#include "backend/protocol/audio/audio_file.h"

#include <httplib.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>

#include <sys/socket.h>

namespace reef::deploy {

namespace {

constexpr const char* kJson = "application/json";

// Request timing: httplib answers a request on one thread from the pre-routing handler to the
// logger, so the start time can live in a thread-local.
thread_local std::chrono::steady_clock::time_point requestStart;
thread_local bool requestCounted = false;

// Generated text can hold invalid UTF-8 (byte-fallback tokens sampled out of order): it is
// replaced, never allowed to make the JSON writer throw.
std::string text(const Json& j) { return j.dump(-1, ' ', false, Json::error_handler_t::replace); }

void sendError(httplib::Response& res, const ApiError& e) {
  res.status = e.status;
  res.set_content(text(e.body()), kJson);
}

// The error object for statuses httplib sets itself (unknown path, body too large, bad method).
ApiError statusError(int status) {
  switch (status) {
    case 401:
      return ApiError(401, "invalid_request_error", "unauthorised", {}, "invalid_api_key");
    case 404:
      return ApiError(404, "invalid_request_error", "unknown endpoint", {}, "unknown_url");
    case 405:
      return ApiError(405, "invalid_request_error", "method not allowed for this endpoint");
    case 413:
      return ApiError(413, "invalid_request_error", "the request body is larger than the server accepts", {},
                      "request_too_large");
    default:
      return ApiError(status, status >= 500 ? "server_error" : "invalid_request_error",
                      "the request failed with HTTP status " + std::to_string(status));
  }
}

// Compares every byte whatever the first difference, so that the time a refusal takes does not
// tell an attacker how much of a guessed key was right.
bool sameSecret(const std::string& given, const std::string& expected) {
  unsigned char diff = given.size() == expected.size() ? 0 : 1;
  for (size_t i = 0; i < expected.size(); ++i)
    diff |= static_cast<unsigned char>(expected[i] ^ (i < given.size() ? given[i] : 0));
  return diff == 0;
}

std::string endpointLabel(const std::string& path) {
  for (const char* known :
       {"/v1/models", "/v1/completions", "/v1/chat/completions", "/v1/classify", "/v1/audio/transcriptions",
        "/v1/audio/speech", "/v1/embeddings", "/v1/punctuate", "/health", "/metrics"})
    if (path == known) return known;
  if (path.rfind("/v1/models/", 0) == 0) return "/v1/models";
  return "other";
}

}  // namespace

struct ModelServer::Impl {
  ModelEndpoint& model;
  ServingMetrics& metrics;
  ServerOptions options;
  httplib::Server server;
  std::atomic<uint64_t> nextId{0};
  int listeningSocket = -1;
  const int64_t startedAt =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();

  Impl(ModelEndpoint& m, ServingMetrics& metrics, ServerOptions o)
      : model(m), metrics(metrics), options(std::move(o)) {}

  std::string newId(const char* prefix) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%s-%llx%06llx", prefix, static_cast<unsigned long long>(startedAt),
                  static_cast<unsigned long long>(nextId++));
    return buf;
  }

  void checkModel(const std::string& requested) const {
    if (requested != model.id())
      throw ApiError(404, "invalid_request_error",
                     "The model '" + requested + "' does not exist; this server serves '" + model.id() + "'", "model",
                     "model_not_found");
  }

  static int64_t now() {
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
  }

  void completions(const httplib::Request& req, httplib::Response& res, bool chat) {
    GenerationRequest request = chat ? parseChatRequest(req.body) : parseCompletionRequest(req.body);
    checkModel(request.model);
    if (!model.generatesText()) throw wrongEndpoint(model.id(), model.serving());
    const std::string id = newId(chat ? "chatcmpl" : "cmpl");
    const int64_t created = now();
    if (!request.stream) {  // complete() checks the request itself
      const Completion c = model.complete(request, {});
      res.set_content(text(completionResponse(request, id, created, c.text, c.finishReason, c.usage)), kJson);
      return;
    }
    model.checkRequest(request);  // before the stream's 200 is committed
    res.set_header("Cache-Control", "no-cache");
    res.set_header("X-Accel-Buffering", "no");
    res.set_chunked_content_provider(
        "text/event-stream", [this, request, id, created](size_t, httplib::DataSink& sink) {
          auto send = [&sink](const Json& data) {
            const std::string event = "data: " + text(data) + "\n\n";
            return sink.write(event.data(), event.size());
          };
          try {
            bool first = true;
            bool connected = true;
            if (request.chat) connected = send(streamChunk(request, id, created, "", std::nullopt, true));
            first = !request.chat;
            Completion c;
            if (connected)
              c = model.complete(request, [&](const std::string& text) {
                connected = send(streamChunk(request, id, created, text, std::nullopt, first));
                first = false;
                return connected;
              });
            if (connected) {
              send(streamChunk(request, id, created, "", c.finishReason, false));
              const std::string done = "data: [DONE]\n\n";
              sink.write(done.data(), done.size());
            }
          } catch (const ApiError& e) {
            send(e.body());
          } catch (const std::exception& e) {
            send(ApiError(500, "server_error", e.what()).body());
          }
          sink.done();
          return true;
        });
  }

  // A multipart form: the audio in "file", the other fields by name.
  void transcriptions(const httplib::Request& req, httplib::Response& res) {
    if (!req.is_multipart_form_data())
      throw invalidRequest(
          "send a multipart/form-data body with the audio in 'file' (curl -F file=@speech.wav -F "
          "model=" +
              model.id() + ")",
          "file");
    if (!req.has_file("file")) throw invalidRequest("'file' is required: the audio to transcribe", "file");
    std::vector<std::pair<std::string, std::string>> fields;
    for (const auto& [name, part] : req.files)
      if (name != "file") fields.emplace_back(name, part.content);
    const TranscriptionRequest request = parseTranscriptionRequest(fields, req.get_file_value("file").content);
    checkModel(request.model);
    if (model.serving() != "transcription") throw wrongEndpoint(model.id(), model.serving());
    const auto [body, type] = transcriptionResponse(request, model.transcribe(request));
    res.set_content(body, type);
  }

  // The first sentence the model can say, made before a 200 is committed so that input with
  // nothing to say fails as a 400; `next` moves past it.
  std::vector<float> firstSpoken(const SpeechRequest& request, const std::vector<std::string>& sentences,
                                 size_t& next) {
    std::string last;
    while (next < sentences.size()) try {
        return model.speak(sentences[next++], request.speed);
      } catch (const ApiError& e) {
        if (e.param != "input") throw;
        last = e.what();
      }
    throw invalidRequest("'input' holds nothing model '" + model.id() + "' can say (" + last + ")", "input");
  }

  // Sentence by sentence as the client reads: wav (a header without sizes, then samples) and pcm
  // stream; flac is sent whole, as its header holds the length.
  void speech(const httplib::Request& req, httplib::Response& res) {
    const SpeechRequest request = parseSpeechRequest(req.body);
    checkModel(request.model);
    if (model.serving() != "speech") throw wrongEndpoint(model.id(), model.serving());
    auto sentences = std::make_shared<std::vector<std::string>>(speechSentences(request.input));
    size_t next = 0;
    auto first = std::make_shared<std::vector<float>>(firstSpoken(request, *sentences, next));
    const int rate = model.speechRate();
    const auto rest = [this, request, sentences, next, rate](const std::function<bool(std::vector<float>)>& onPiece) {
      const std::vector<float> pause(static_cast<size_t>(rate / 5), 0.0f);  // 0.2 s between sentences
      for (size_t i = next; i < sentences->size(); ++i) {
        std::vector<float> piece;
        try {
          piece = model.speak((*sentences)[i], request.speed);
        } catch (const ApiError& e) {
          if (e.param == "input") continue;  // a sentence of punctuation only
          throw;
        }
        piece.insert(piece.begin(), pause.begin(), pause.end());
        if (!onPiece(std::move(piece))) return false;
      }
      return true;
    };
    res.set_header("Cache-Control", "no-cache");
    res.set_header("X-Accel-Buffering", "no");  // a proxy would otherwise hold the stream back
    res.set_header("X-Reef-Sample-Rate", std::to_string(request.responseFormat == "pcm" ? kPcmSampleRate : rate));
    if (request.responseFormat == "flac") {
      std::vector<float> all = std::move(*first);
      rest([&all](std::vector<float> piece) {
        all.insert(all.end(), piece.begin(), piece.end());
        return true;
      });
      res.set_content(protocol::audio::encodeAudio(all, rate, "flac"), speechContentType("flac"));
      return;
    }
    res.set_chunked_content_provider(
        speechContentType(request.responseFormat), [request, first, rest, rate](size_t, httplib::DataSink& sink) {
          const auto send = [&](const std::vector<float>& samples) {
            const std::string bytes = protocol::audio::pcm16(
                request.responseFormat == "pcm" ? protocol::audio::resample(samples, rate, kPcmSampleRate) : samples);
            return sink.write(bytes.data(), bytes.size());
          };
          try {
            const std::string header = protocol::audio::wavStreamHeader(rate);
            if ((request.responseFormat == "wav" && !sink.write(header.data(), header.size())) || !send(*first) ||
                !rest([&](std::vector<float> piece) { return send(piece); }))
              return false;
          } catch (const std::exception&) {
            return false;  // the connection closes without its last chunk: the client sees a cut stream
          }
          sink.done();
          return true;
        });
  }

  void routes() {
    // Debian's cpp-httplib 0.11 listens with a backlog of 5: a burst of clients overflows the
    // accept queue and some connections are dropped. The listening socket is remembered here so
    // that bind() can listen again with the system's maximum. Its default options also set
    // SO_REUSEPORT, with which a second server on the same port starts and silently takes half
    // the traffic; SO_REUSEADDR alone lets a restarted server take its port back.
    server.set_socket_options([this](socket_t sock) {
      int yes = 1;
      ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
      if (listeningSocket < 0) listeningSocket = sock;
    });
    // Headers and body leave in separate writes: without TCP_NODELAY, Nagle's algorithm holds the
    // body until the client's delayed ACK (40 ms per request, measured).
    server.set_tcp_nodelay(true);
    server.set_payload_max_length(options.maxBodyBytes);
    server.set_keep_alive_max_count(1000);  // httplib's default, 5, makes busy clients reconnect
    const size_t threads = options.threads;
    server.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
    server.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
      requestStart = std::chrono::steady_clock::now();
      requestCounted = true;
      metrics.requestStarted();
      if (options.apiKey.empty() || req.path == "/health") return httplib::Server::HandlerResponse::Unhandled;
      if (!sameSecret(req.get_header_value("Authorization"), "Bearer " + options.apiKey)) {
        sendError(res,
                  ApiError(401, "invalid_request_error",
                           req.has_header("Authorization") ? "Incorrect API key provided"
                                                           : "No API key provided: send 'Authorization: Bearer <key>'",
                           {}, "invalid_api_key"));
        return httplib::Server::HandlerResponse::Handled;
      }
      return httplib::Server::HandlerResponse::Unhandled;
    });
    server.set_logger([this](const httplib::Request& req, const httplib::Response& res) {
      if (!requestCounted) metrics.requestStarted();  // refused before routing (a body too large)
      const double seconds =
          requestCounted ? std::chrono::duration<double>(std::chrono::steady_clock::now() - requestStart).count() : 0.0;
      requestCounted = false;
      metrics.requestFinished(endpointLabel(req.path), res.status, seconds);
    });
    server.set_error_handler(httplib::Server::HandlerWithResponse([](const httplib::Request&, httplib::Response& res) {
      if (!res.body.empty() || res.content_provider_) return httplib::Server::HandlerResponse::Unhandled;
      const int status = res.status;
      sendError(res, statusError(status));
      return httplib::Server::HandlerResponse::Handled;
    }));
    server.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr ep) {
      try {
        std::rethrow_exception(ep);
      } catch (const ApiError& e) {
        sendError(res, e);
      } catch (const std::exception& e) {
        sendError(res, ApiError(500, "server_error", e.what()));
      } catch (...) {
        sendError(res, ApiError(500, "server_error", "unknown error"));
      }
    });

    server.Get("/health", [this](const httplib::Request&, httplib::Response& res) {
      const Json health = {{"status", "ok"},
                           {"model", model.id()},
                           {"description", model.description()},
                           {"serving", model.serving()},
                           {"requests_in_flight", metrics.inFlight()}};
      res.set_content(text(health), kJson);
    });
    server.Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
      res.set_content(metrics.prometheusText(), "text/plain; version=0.0.4");
    });
    server.Get("/v1/models", [this](const httplib::Request&, httplib::Response& res) {
      res.set_content(text(modelList(model.id(), model.created())), kJson);
    });
    server.Get(R"(/v1/models/(.+))", [this](const httplib::Request& req, httplib::Response& res) {
      checkModel(req.matches[1]);
      res.set_content(text(modelList(model.id(), model.created())["data"][0]), kJson);
    });
    modelRoutes();
  }

  // The endpoints that run the model; each answers its serving modes and sends the others to theirs.
  void modelRoutes() {
    server.Post("/v1/completions",
                [this](const httplib::Request& req, httplib::Response& res) { completions(req, res, false); });
    server.Post("/v1/chat/completions",
                [this](const httplib::Request& req, httplib::Response& res) { completions(req, res, true); });
    server.Post("/v1/audio/transcriptions",
                [this](const httplib::Request& req, httplib::Response& res) { transcriptions(req, res); });
    server.Post("/v1/audio/speech", [this](const httplib::Request& req, httplib::Response& res) { speech(req, res); });
    server.Post("/v1/embeddings", [this](const httplib::Request& req, httplib::Response& res) {
      const EmbeddingRequest request = parseEmbeddingRequest(req.body);
      checkModel(request.model);
      res.set_content(text(model.embed(request)), kJson);
    });
    server.Post("/v1/classify", [this](const httplib::Request& req, httplib::Response& res) {
      const ClassifyRequest request = parseClassifyRequest(req.body);
      checkModel(request.model);
      res.set_content(text(model.classify(request)), kJson);
    });
    server.Post("/v1/punctuate", [this](const httplib::Request& req, httplib::Response& res) {
      const PunctuationRequest request = parsePunctuationRequest(req.body);
      checkModel(request.model);
      res.set_content(text(model.punctuate(request)), kJson);
    });
  }
};

ModelServer::ModelServer(ModelEndpoint& model, ServingMetrics& metrics, ServerOptions options)
    : impl_(std::make_unique<Impl>(model, metrics, std::move(options))) {
  impl_->routes();
}

ModelServer::~ModelServer() = default;

int ModelServer::bind() {
  auto& o = impl_->options;
  const int port =
      o.port == 0 ? impl_->server.bind_to_any_port(o.host) : (impl_->server.bind_to_port(o.host, o.port) ? o.port : -1);
  if (port < 0)
    throw std::runtime_error("cannot listen on " + o.host + ":" + std::to_string(o.port) +
                             " (is the port taken, or the host not an address of this machine? try --port 0)");
  if (impl_->listeningSocket >= 0 && ::listen(impl_->listeningSocket, SOMAXCONN) != 0)
    throw std::runtime_error(std::string("cannot enlarge the listen backlog: ") + std::strerror(errno));
  return port;
}

void ModelServer::run() {
  if (!impl_->server.listen_after_bind()) throw std::runtime_error("the HTTP server stopped with an error");
}

void ModelServer::stop() { impl_->server.stop(); }

bool ModelServer::running() const { return impl_->server.is_running(); }

}  // namespace reef::deploy
