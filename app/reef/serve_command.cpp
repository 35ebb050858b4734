// `reef serve RUN_OR_BUNDLE [--host 127.0.0.1] [--port 8000] [--api-key K]`.
#include "app/reef/commands.h"
#include "backend/collections/collections.h"
#include "backend/export/deploy/model_server.h"
#include "backend/export/deploy/served_model/served_model.h"

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <thread>

#include <pthread.h>
#include <signal.h>

namespace reef::app {

namespace {

struct ServeOptions {
  deploy::ServedModelOptions model;
  deploy::ServerOptions server;
  double batchWaitMs = 5;
  double maxBodyMb = 8;
};

int serveCommand(ServeOptions& o) {
  if (o.server.apiKey.empty())
    if (const char* key = std::getenv("REEF_API_KEY")) o.server.apiKey = key;
  o.model.maxWait = std::chrono::microseconds(static_cast<int64_t>(o.batchWaitMs * 1000));
  o.server.maxBodyBytes = static_cast<size_t>(o.maxBodyMb * 1024 * 1024);
  if (o.server.host != "127.0.0.1" && o.server.host != "localhost" && o.server.host != "::1" && o.server.apiKey.empty())
    std::fprintf(
        stderr,
        "reef serve: warning: listening on %s without --api-key: anyone who reaches this machine can use the model\n",
        o.server.host.c_str());

  // SIGINT/SIGTERM are taken by one watcher thread (blocked everywhere else, including the
  // threads created later, which inherit the mask). The first stops the server gracefully (or
  // ends a model still loading at once, as nothing is written yet); a second ends the process.
  sigset_t stopSignals;
  sigemptyset(&stopSignals);
  sigaddset(&stopSignals, SIGINT);
  sigaddset(&stopSignals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stopSignals, nullptr);
  std::atomic<deploy::ModelServer*> live{nullptr};
  std::atomic<bool> finished{false};
  std::thread watcher([&] {
    for (int received = 0;;) {
      int signal = 0;
      sigwait(&stopSignals, &signal);
      if (finished) return;  // woken by main at the end
      deploy::ModelServer* server = live.load();
      if (!server || ++received > 1) {
        std::fprintf(stderr, "reef serve: %s\n", server ? "stopped at once" : "stopped while loading the model");
        std::_Exit(130);
      }
      // stop() is ignored until the server listens: wait for that (or for run() to fail).
      while (!server->running() && !finished) std::this_thread::sleep_for(std::chrono::milliseconds(10));
      server->stop();
    }
  });
  auto endWatcher = [&] {
    if (!watcher.joinable()) return;
    finished = true;
    pthread_kill(watcher.native_handle(), SIGTERM);
    watcher.join();
  };

  try {
    deploy::ServingMetrics metrics;
    deploy::ServedModel model(collections::builtinRegistry(), o.model, metrics);
    deploy::ModelServer server(model, metrics, o.server);
    const int port = server.bind();
    std::printf("reef serve: %s (%s) on http://%s:%d\n", model.id().c_str(), model.description().c_str(),
                o.server.host.c_str(), port);
    std::fflush(stdout);
    live = &server;
    try {
      server.run();
    } catch (...) {
      live = nullptr;
      endWatcher();  // while `server`, which the watcher may be using, still exists
      throw;
    }
    live = nullptr;
    endWatcher();
    std::printf("reef serve: stopped after %lld requests\n", static_cast<long long>(metrics.requestsTotal()));
  } catch (...) {
    endWatcher();
    throw;
  }
  return 0;
}

}  // namespace

void addServeCommand(CLI::App& app, int& status) {
  auto o = std::make_shared<ServeOptions>();
  auto* cmd = app.add_subcommand("serve", "Serve a trained model behind OpenAI-style HTTP endpoints");
  cmd->add_option("target", o->model.target, "Run directory, a checkpoints/step-<N> folder of one, or a .reef bundle")
      ->required();
  cmd->add_option("--checkpoint", o->model.checkpoint, "best, last, or a step number");
  cmd->add_option("--host", o->server.host, "Address to listen on (default 127.0.0.1: this machine only)");
  cmd->add_option("--port", o->server.port, "Port (0: any free port, printed at start)")->check(CLI::Range(0, 65535));
  cmd->add_option("--api-key", o->server.apiKey, "Require 'Authorization: Bearer KEY' (default: $REEF_API_KEY)");
  cmd->add_option("--name", o->model.name,
                  "Model id clients pass as \"model\" (default: the spec's exp.name, else the run id)");
  cmd->add_option("--max-batch", o->model.maxBatch,
                  "Examples per model call at most; for a language model, sequences decoded at once (1: no batching)")
      ->check(CLI::Range(1, 4096));
  cmd->add_option("--kv-cache-tokens", o->model.cacheTokens,
                  "Language models: KV cache size in tokens, shared by the sequences in blocks (default: max-batch x "
                  "context)")
      ->check(CLI::Range(int64_t(1), int64_t(1) << 40));
  cmd->add_option("--batch-wait-ms", o->batchWaitMs, "How long a request waits for others to batch with")
      ->check(CLI::Range(0.0, 1000.0));
  cmd->add_option("--max-body-mb", o->maxBodyMb, "Largest request body accepted (413 beyond)")
      ->check(CLI::Range(0.001, 1024.0));
  cmd->add_option("--threads", o->server.threads, "Connections served at once")->check(CLI::Range(1, 4096));
  cmd->add_option("--compute-threads", o->model.computeThreads,
                  "Threads for model calls (default: every core but one, left to the connections)")
      ->check(CLI::Range(1, 4096));
  cmd->callback([o, &status] { status = serveCommand(*o); });
}

}  // namespace reef::app
