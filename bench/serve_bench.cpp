// `reef serve` under load, from clients on 127.0.0.1 (docs/benchmarks.md: latest figures).
// 1. Vision classification: C keep-alive clients send one MNIST image per request for S seconds,
//    first to a server with dynamic batching (--max-batch 64 --batch-wait-ms 5), then to one
//    without (--max-batch 1); requests/s, p50 and p99 latency, and the ratio.
// 2. Streamed generation: tokens/s of a greedy completion streamed over HTTP vs `reef generate`
//    on the same checkpoint and prompt (the serving overhead).
// 3. Concurrent streams (1, 4, 16, 64): aggregate tokens/s and time to first token of `reef serve`
//    with continuous batching (--max-batch 64), one sequence at a time (--max-batch 1), and
//    llama.cpp (npm node-llama-cpp) decoding the model's f32 GGUF export with as many sequences.
// 4. Transcriptions of jfk.wav by the QuartzNet example (10 steps: speed only): real-time factor
//    alone and for 16 concurrent requests.
// The models are trained here first: the MNIST CNN example (300 steps) and the KJV Llama example
// (20 steps: speed does not depend on quality, and its greedy text never ends early).
// Each stream count runs `--rounds` rounds, the engines taking turns, each round three bursts (a
// fresh server for Reef), and reports the medians.
// Usage: reef-bench-serve [--clients 64] [--seconds 20] [--stream-tokens 100] [--rounds 5]
//                         [--only classify,generate,streams,asr]
#include "bench/bench_server.h"
#include "bench/bench_util.h"

#include <httplib.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <thread>

using namespace reef;
using Clock = std::chrono::steady_clock;

namespace {

const std::string kReef = REEF_BINARY;
const std::string kSource = REEF_SOURCE_DIR;

using bench::percentile;
using bench::run;

// `reef serve` of this build.
struct Server : bench::ServeProcess {
  explicit Server(const std::string& args) : ServeProcess(kReef, args) {}
};

struct Load {
  double requestsPerSecond, p50Ms, p99Ms, meanBatch;
  int64_t failures;
};

Load classifyLoad(const std::string& bundle, const std::string& batching, int clients, int seconds,
                  const std::vector<std::string>& bodies) {
  Server server(bundle + " " + batching + " --threads " + std::to_string(clients + 4));
  std::vector<std::vector<double>> latencies(static_cast<size_t>(clients));
  std::atomic<int64_t> failures{0};
  const auto end = Clock::now() + std::chrono::seconds(seconds);
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c)
    threads.emplace_back([&, c] {
      httplib::Client client("127.0.0.1", server.port());
      client.set_keep_alive(true);
      client.set_tcp_nodelay(true);
      client.set_read_timeout(60, 0);
      for (size_t i = static_cast<size_t>(c); Clock::now() < end; i += static_cast<size_t>(clients)) {
        const auto start = Clock::now();
        auto res = client.Post("/v1/classify", bodies[i % bodies.size()], "application/json");
        if (!res || res->status != 200) {
          ++failures;
          continue;
        }
        latencies[static_cast<size_t>(c)].push_back(
            std::chrono::duration<double, std::milli>(Clock::now() - start).count());
      }
    });
  for (auto& t : threads) t.join();
  std::vector<double> all;
  for (auto& l : latencies) all.insert(all.end(), l.begin(), l.end());
  // The server's own account of the batches it formed.
  httplib::Client probe("127.0.0.1", server.port());
  const std::string metrics = probe.Get("/metrics")->body;
  auto value = [&](const std::string& key) {
    const auto at = metrics.find("\n" + key + " ");
    return at == std::string::npos ? NAN : std::stod(metrics.substr(at + key.size() + 2));
  };
  return {static_cast<double>(all.size()) / seconds, percentile(all, 0.5), percentile(all, 0.99),
          value("reef_batch_size_sum") / value("reef_batch_size_count"), failures.load()};
}

// Concurrent streams, as many users chatting with one model: every stream sends the same greedy
// streamed completion of `tokens` tokens at once; aggregate tokens/s over the wall time and each
// stream's time to its first text.
struct Streams {
  double tokensPerSecond = 0;
  std::vector<double> ttftMs;
};

Streams streamLoad(int port, int streams, int tokens, const std::string& prompt) {
  const std::string body =
      Json{{"model", "kjv-llama"}, {"prompt", prompt}, {"max_tokens", tokens}, {"temperature", 0}, {"stream", true}}
          .dump();
  std::vector<double> first(static_cast<size_t>(streams), NAN);
  std::atomic<int64_t> received{0};
  std::vector<std::thread> threads;
  const auto start = Clock::now();
  for (int i = 0; i < streams; ++i)
    threads.emplace_back([&, i] {
      httplib::Client client("127.0.0.1", port);
      client.set_read_timeout(600, 0);
      httplib::Request request;
      request.method = "POST";
      request.path = "/v1/completions";
      request.body = body;
      request.set_header("Content-Type", "application/json");
      request.content_receiver = [&, i](const char* data, size_t size, uint64_t, uint64_t) {
        const std::string chunk(data, size);
        if (std::isnan(first[static_cast<size_t>(i)]) && chunk.find("\"text\":\"") != std::string::npos)
          first[static_cast<size_t>(i)] = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
        return true;
      };
      auto res = client.send(request);
      if (res && res->status == 200) received += tokens;
    });
  for (auto& t : threads) t.join();
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  if (received != static_cast<int64_t>(streams) * tokens) throw std::runtime_error("a streamed completion failed");
  return {static_cast<double>(received) / seconds, first};
}

// The same load on llama.cpp (node-llama-cpp), in process: no HTTP between it and the streams. One
// llama.cpp thread: with two on this 2-core machine its spinning workers and node's event loop
// take turns on the cores and one stream ran at 60 tokens/s instead of 915 (measured).
Streams llamaCppLoad(const std::string& gguf, int streams, int tokens, const Json& promptIds) {
  const Json out = Json::parse(run("node " + kSource + "/bench/llama_cpp_streams.mjs " + kSource +
                                   "/data/consumers/node_modules " + gguf + " " + std::to_string(streams) + " " +
                                   std::to_string(tokens) + " '" + promptIds.dump() + "' 1"));
  return {out.at("tokens_per_s").get<double>(), out.at("ttft_ms").get<std::vector<double>>()};
}

// `bursts` bursts: the median aggregate rate, every stream's time to first token.
Streams repeatedStreamLoad(int bursts, const std::function<Streams()>& burst) {
  std::vector<double> rates;
  Streams all;
  for (int r = 0; r < bursts; ++r) {
    const Streams one = burst();
    rates.push_back(one.tokensPerSecond);
    all.ttftMs.insert(all.ttftMs.end(), one.ttftMs.begin(), one.ttftMs.end());
  }
  all.tokensPerSecond = bench::median(rates);
  return all;
}

// Three measured bursts of `streams` streams on a `reef serve ARGS` started for them, after a
// warm-up burst of the same size (its first model calls of each batch shape generate oneDNN's
// kernels): their median rate and every stream's time to first token. A fresh server per round:
// with two servers up at once the one started first ran slower (1.39x apart for two identical
// servers). Three bursts, since one burst of 16 streams lasts about 0.3 s here, and single bursts
// of adjacent rounds differed by up to 1.9x.
Streams freshServerBursts(const std::string& args, int streams, int tokens, const std::string& prompt) {
  Server server(args + " --threads 80");
  streamLoad(server.port(), streams, std::min(tokens, 20), prompt);
  return repeatedStreamLoad(3, [&] { return streamLoad(server.port(), streams, tokens, prompt); });
}

// Every stream count, `rounds` times, the three engines taking turns round by round, so that this
// VM's drift (one stream: 1,880 tokens/s, then 1,355 a minute later) reaches them alike: the
// median aggregate rate of each, every stream's time to its first text, and each round's ratio of
// batched to one at a time.
void compareStreams(const std::string& dir, int tokens, int rounds) {
  const std::string prompt = "And God said";
  const Json cli = Json::parse(run(kReef + " generate " + dir + "/kjv --prompt '" + prompt +
                                   "' --max-tokens 4 --temperature 0 --json 2>/dev/null"));
  run(kReef + " export " + dir + "/kjv --format gguf --type f32 --out " + dir + "/kjv.gguf > /dev/null");
  const std::vector<int> counts = {1, 4, 16, 64};
  const std::map<std::string, std::function<Streams(int)>> engines = {
      {"reef batched", [&](int n) { return freshServerBursts(dir + "/kjv --max-batch 64", n, tokens, prompt); }},
      {"reef one at a time", [&](int n) { return freshServerBursts(dir + "/kjv --max-batch 1", n, tokens, prompt); }},
      {"llama.cpp f32", [&](int n) {
         return repeatedStreamLoad(3, [&] { return llamaCppLoad(dir + "/kjv.gguf", n, tokens, cli["prompt_ids"]); });
       }}};
  std::map<std::string, std::map<int, std::vector<double>>> rates;
  std::map<std::string, std::map<int, std::vector<double>>> ttft;
  std::vector<double> ratios16;
  for (int n : counts)
    for (int r = 0; r < rounds; ++r) {
      for (const auto& [name, burst] : engines) {
        const Streams one = burst(n);
        rates[name][n].push_back(one.tokensPerSecond);
        ttft[name][n].insert(ttft[name][n].end(), one.ttftMs.begin(), one.ttftMs.end());
      }
      if (n == 16) ratios16.push_back(rates["reef batched"][16].back() / rates["reef one at a time"][16].back());
    }
  std::printf(
      "\nconcurrent streams, KJV Llama example, %d greedy tokens each: aggregate tokens/s, median of %d rounds of 3 "
      "bursts (p50 / p99 time to first token, ms)\n  %-20s",
      tokens, rounds, "streams");
  for (int n : counts) std::printf("%24d", n);
  for (const auto& [name, row] : rates) {
    std::printf("\n  %-20s", name.c_str());
    for (int n : counts)
      std::printf("%8.0f (%5.0f / %5.0f)", bench::median(row.at(n)), percentile(ttft[name][n], 0.5),
                  percentile(ttft[name][n], 0.99));
  }
  const double batched = bench::median(rates["reef batched"][16]);
  std::printf("\n  at 16 streams: reef batched %.2fx reef one at a time, %.2fx llama.cpp; round by round:",
              batched / bench::median(rates["reef one at a time"][16]),
              batched / bench::median(rates["llama.cpp f32"][16]));
  for (double x : ratios16) std::printf(" %.2fx", x);
  std::printf("\n");
}

// Transcriptions: jfk.wav (11 s of real speech) through /v1/audio/transcriptions alone, then from
// 16 clients at once; the real-time factor is seconds of audio per second of wall time.
void transcriptionSpeed(const std::string& dir) {
  run(kReef + " train " + kSource + "/resources/examples/asr/quartznet_chars.yaml --run-dir " + dir +
      "/asr --set trainer.max_steps=10 --set trainer.val_interval=10 --set trainer.limit_val_batches=1 --plain > "
      "/dev/null");
  std::ifstream in(kSource + "/data/speech/samples/jfk.wav", std::ios::binary);
  const std::string audio((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  Server server(dir + "/asr --threads 32");
  auto transcribe = [&](double& seconds) {
    httplib::Client client("127.0.0.1", server.port());
    client.set_read_timeout(600, 0);
    auto res = client.Post("/v1/audio/transcriptions",
                           httplib::MultipartFormDataItems{{"file", audio, "jfk.wav", "audio/wav"},
                                                           {"model", "asr-quartznet", "", ""},
                                                           {"response_format", "verbose_json", "", ""}});
    if (!res || res->status != 200) throw std::runtime_error("a transcription failed");
    seconds = Json::parse(res->body).at("duration").get<double>();
  };
  double audioSeconds = 0;
  transcribe(audioSeconds);  // warm-up
  std::vector<double> alone;
  for (int i = 0; i < 5; ++i) {
    const auto start = Clock::now();
    transcribe(audioSeconds);
    alone.push_back(audioSeconds / std::chrono::duration<double>(Clock::now() - start).count());
  }
  std::vector<std::thread> clients;
  std::vector<double> durations(16, 0);
  const auto start = Clock::now();
  for (size_t c = 0; c < durations.size(); ++c) clients.emplace_back([&, c] { transcribe(durations[c]); });
  for (auto& t : clients) t.join();
  const double together = 16 * audioSeconds / std::chrono::duration<double>(Clock::now() - start).count();
  std::printf(
      "\ntranscriptions, QuartzNet example, jfk.wav (%.1f s): real-time factor %.0f alone (median of 5), "
      "%.0f for 16 concurrent requests together\n",
      audioSeconds, bench::median(alone), together);
}

// Vision classification with and without dynamic batching (part 1).
void classification(const std::string& dir, int clients, int seconds) {
  run(kReef + " train " + kSource + "/resources/examples/vision/mnist_cnn.yaml --run-dir " + dir +
      "/mnist --set trainer.max_steps=300 --set trainer.val_interval=300 --plain > /dev/null");
  run(kReef + " export " + dir + "/mnist --format bundle --out " + dir + "/mnist.reef > /dev/null");
  // Request bodies: MNIST test images as pixel arrays.
  std::ifstream idx(kSource + "/data/mnist/t10k-images-idx3-ubyte", std::ios::binary);
  idx.seekg(16);
  std::vector<std::string> bodies;
  for (int i = 0; i < 256; ++i) {
    Json image = Json::array();
    for (int r = 0; r < 28; ++r) {
      Json row = Json::array();
      for (int c = 0; c < 28; ++c) row.push_back(static_cast<unsigned char>(idx.get()));
      image.push_back(row);
    }
    bodies.push_back(Json{{"model", "mnist-cnn"}, {"input", image}, {"top_k", 1}}.dump());
  }
  std::printf("\nvision classification, %d clients for %d s each, one 28x28 image per request:\n", clients, seconds);
  const Load batched = classifyLoad(dir + "/mnist.reef", "--max-batch 64 --batch-wait-ms 5", clients, seconds, bodies);
  const Load single = classifyLoad(dir + "/mnist.reef", "--max-batch 1", clients, seconds, bodies);
  for (const auto& [name, l] :
       {std::pair{"dynamic batching (max 64, 5 ms)", batched}, std::pair{"no batching", single}})
    std::printf("  %-32s %8.0f requests/s  p50 %6.1f ms  p99 %6.1f ms  mean batch %5.1f  failures %lld\n", name,
                l.requestsPerSecond, l.p50Ms, l.p99Ms, l.meanBatch, static_cast<long long>(l.failures));
  std::printf("  throughput ratio: %.2fx; p99 latency ratio %.2fx\n",
              batched.requestsPerSecond / single.requestsPerSecond, single.p99Ms / batched.p99Ms);
}

// Generation (part 2): the CLI's own rate (model loaded, generation timed) vs the streamed
// endpoint's rate as a client sees it (request sent to [DONE]).
void streamedGeneration(const std::string& dir) {
  const std::string prompt = "And God said";
  const int tokens = 200;
  const Json cli = Json::parse(run(kReef + " generate " + dir + "/kjv --prompt '" + prompt + "' --max-tokens " +
                                   std::to_string(tokens) + " --temperature 0 --json 2>/dev/null"));
  Server server(dir + "/kjv");
  httplib::Client client("127.0.0.1", server.port());
  client.set_read_timeout(120, 0);
  const Json request = {
      {"model", "kjv-llama"}, {"prompt", prompt}, {"max_tokens", tokens}, {"temperature", 0}, {"stream", true}};
  std::vector<double> rates;
  int64_t chunks = 0;
  for (int round = 0; round < 4; ++round) {  // the first warms up
    chunks = 0;
    const auto start = Clock::now();
    auto res = client.Post("/v1/completions", request.dump(), "application/json");
    const double s = std::chrono::duration<double>(Clock::now() - start).count();
    if (!res || res->status != 200) throw std::runtime_error("the streamed completion failed");
    for (size_t at = res->body.find("data: {"); at != std::string::npos; at = res->body.find("data: {", at + 1))
      ++chunks;
    if (round > 0) rates.push_back(cli["tokens"].size() / s);
  }
  const double served = bench::median(rates), direct = cli["tokens_per_s"].get<double>();
  std::printf("\nstreamed generation, KJV Llama example (3.5M parameters), %zu greedy tokens, batch 1:\n",
              cli["tokens"].size());
  std::printf(
      "  reef generate %.0f tokens/s; reef serve (streamed, %lld events) %.0f tokens/s: %.2fx of the CLI (overhead "
      "%.1f%%)\n",
      direct, static_cast<long long>(chunks), served, served / direct, 100.0 * (1 - served / direct));
}

bool wanted(const std::string& only, const std::string& part) {
  return only.empty() || ("," + only + ",").find("," + part + ",") != std::string::npos;
}

}  // namespace

int main(int argc, char** argv) {
  const int clients = bench::argValue(argc, argv, "--clients", 64);
  const int seconds = bench::argValue(argc, argv, "--seconds", 20);
  const int streamTokens = bench::argValue(argc, argv, "--stream-tokens", 100);
  const int rounds = bench::argValue(argc, argv, "--rounds", 5);
  const std::string only = bench::argText(argc, argv, "--only", "");
  char folder[] = "/tmp/reef-bench-serve-XXXXXX";
  if (!mkdtemp(folder)) return 1;
  const std::string dir = folder;
  try {
    if (wanted(only, "classify")) classification(dir, clients, seconds);
    if (wanted(only, "generate") || wanted(only, "streams")) {
      std::printf("training the KJV Llama example (20 steps)...\n");
      run(kReef + " train " + kSource + "/resources/examples/llm/kjv_llama.yaml --run-dir " + dir +
          "/kjv --set trainer.max_steps=20 --set trainer.val_interval=20 --set trainer.limit_val_batches=1 --plain > "
          "/dev/null");
    }
    if (wanted(only, "generate")) streamedGeneration(dir);
    if (wanted(only, "streams")) compareStreams(dir, streamTokens, rounds);
    if (wanted(only, "asr")) transcriptionSpeed(dir);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "reef-bench-serve: %s\n", e.what());
    std::filesystem::remove_all(dir);
    return 1;
  }
  std::filesystem::remove_all(dir);
  return 0;
}
