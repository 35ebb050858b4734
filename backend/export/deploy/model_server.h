#pragma once
// `reef serve`'s HTTP side, on cpp-httplib: OpenAI-style routes over one model, API-key
// checks, OpenAI error objects for every 4xx/5xx, server-sent events for streamed completions,
// and the request metrics. Torch-free: the model behind the ModelEndpoint does the computing.
#include "backend/export/deploy/model_endpoint.h"
#include "backend/export/deploy/serving_metrics.h"

#include <memory>
#include <string>

namespace reef::deploy {

struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = 8000;     // 0: any free port
  std::string apiKey;  // empty: no authentication
  size_t maxBodyBytes = 8u << 20;
  size_t threads = 64;  // connections served at once (each keep-alive client holds one)
};

class ModelServer {
 public:
  ModelServer(ModelEndpoint& model, ServingMetrics& metrics, ServerOptions options);
  ~ModelServer();
  // Binds the address; returns the port (the chosen one when options.port is 0). Throws when the
  // address is taken or invalid.
  int bind();
  // Serves until stop(); call after bind().
  void run();
  // Safe from any thread (a signal-watching one); has no effect before run() is listening.
  void stop();
  bool running() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace reef::deploy
