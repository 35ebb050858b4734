// `reef serve` soaked: C clients on 127.0.0.1 for S seconds against the KJV Llama example (trained
// here for 20 steps), each looping over a mix of what real and hostile clients send (docs/
// benchmarks.md: latest figures):
//   valid:      completions, streamed chat completions (checked to end with [DONE]), GET /v1/models;
//   malformed:  JSON cut short or not JSON, fields of the wrong type, a body over the 8 MB limit;
//   disconnect: headers cut off mid-line, or a streamed completion dropped with a TCP reset;
//   slow-loris: one client in eight sends a valid request one byte per second.
// It reports, per kind, what was sent and what came back unexpected (a valid request not answered
// 200, a bad one answered other than 4xx), the server's RSS after the warm-up and at the end, and
// the p50/p99 latency of valid requests in the first and the last minute after the warm-up. The
// baseline is the same server at the start of the run: RSS growth and the p99 ratio end/start.
// Usage: reef-bench-soak [--clients 64] [--seconds 600] [--warmup 60]
#include "bench/bench_server.h"
#include "bench/bench_util.h"

#include <httplib.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <array>
#include <atomic>
#include <filesystem>
#include <mutex>
#include <random>

using namespace reef;
using Clock = std::chrono::steady_clock;

namespace {

const std::string kReef = REEF_BINARY;
const std::string kSource = REEF_SOURCE_DIR;

enum Kind { Completion, StreamedChat, Models, BrokenJson, WrongTypes, Oversized, CutHeaders, DroppedStream, SlowLoris };
constexpr std::array<const char*, 9> kKindNames = {"completion",  "streamed chat",  "models",
                                                   "broken JSON", "wrong types",    "oversized body",
                                                   "cut headers", "dropped stream", "slow-loris"};
constexpr int kKinds = static_cast<int>(kKindNames.size());

struct Tally {
  std::array<std::atomic<int64_t>, kKinds> sent{}, unexpected{};
  std::atomic<int64_t> slowAnswered{0};  // slow-loris requests answered 200 once whole
  std::mutex mutex;
  std::vector<std::pair<double, double>> latencies;  // (seconds since start, ms) of valid requests
  std::vector<std::string> examples;                 // the first unexpected answers, for the report
  void wrong(Kind kind, const std::string& what) {
    ++unexpected[kind];
    std::lock_guard lock(mutex);
    if (examples.size() < 8) examples.push_back(std::string(kKindNames[kind]) + ": " + what);
  }
};

// A plain TCP connection to the server, for what an HTTP client library would not send.
int connectTo(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd < 0 || connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    if (fd >= 0) close(fd);
    return -1;
  }
  timeval timeout{30, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  return fd;
}

// Closes with a TCP reset instead of a FIN: the client vanished.
void resetAndClose(int fd) {
  linger hard{1, 0};
  setsockopt(fd, SOL_SOCKET, SO_LINGER, &hard, sizeof hard);
  close(fd);
}

std::string request(const std::string& method, const std::string& path, const std::string& body) {
  return method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: " +
         std::to_string(body.size()) + "\r\n\r\n" + body;
}

Json completion(std::mt19937& rng, bool chat) {
  const int tokens = std::uniform_int_distribution<int>(1, 12)(rng);
  Json j = {{"model", "kjv-llama"}, {"max_tokens", tokens}, {"temperature", (rng() % 3) * 0.5}};
  if (chat)
    j["messages"] = Json::array({{{"role", "user"}, {"content", "And God said"}}});
  else
    j["prompt"] = "In the beginning";
  return j;
}

// A body the server must refuse with a 400: JSON cut short, not JSON at all, or wrong types.
std::string badBody(std::mt19937& rng, Kind kind) {
  if (kind == BrokenJson) {
    const std::string whole = completion(rng, false).dump();
    const std::array<std::string, 4> broken = {whole.substr(0, rng() % whole.size()), "{\"prompt\": \"a\",}",
                                               std::string("\xff\xfe{\x00}", 5), "[[[[[[[[[[[[[[[[[[[["};
    return broken[rng() % broken.size()];
  }
  const std::array<Json, 5> wrong = {
      Json{{"prompt", 123}}, Json{{"prompt", "a"}, {"max_tokens", "many"}}, Json{{"messages", Json::object()}},
      Json{{"prompt", "a"}, {"temperature", Json::array()}}, Json{{"messages", Json::array({{{"role", 7}}})}}};
  return wrong[rng() % wrong.size()].dump();
}

}  // namespace

namespace {

class Soak {
 public:
  Soak(int port, int seconds, Tally& tally)
      : port_(port), start_(Clock::now()), end_(start_ + std::chrono::seconds(seconds)), tally_(tally) {}

  // Sends the mix of valid and hostile requests until the end, from one keep-alive client.
  void mixedClient(unsigned seed) {
    std::mt19937 rng(seed);
    httplib::Client client("127.0.0.1", port_);
    client.set_keep_alive(true);
    client.set_read_timeout(120, 0);
    client.set_write_timeout(30, 0);
    // Weights out of 100, in the order of Kind.
    std::discrete_distribution<int> pick({25, 15, 10, 15, 15, 3, 8, 9});
    while (Clock::now() < end_) {
      const Kind kind = static_cast<Kind>(pick(rng));
      ++tally_.sent[kind];
      if (kind <= Models)
        valid(client, kind, rng);
      else if (kind <= Oversized)
        refused(client, kind, rng);
      else
        disconnect(kind, rng);
    }
  }

  // A valid GET, one byte per second on its own connection, again and again.
  void slowLorisClient() {
    const std::string text = request("GET", "/v1/models", "");
    while (Clock::now() < end_) {
      ++tally_.sent[SlowLoris];
      const int fd = connectTo(port_);
      if (fd < 0) return tally_.wrong(SlowLoris, "cannot connect");
      bool whole = true;
      for (size_t i = 0; i < text.size() && whole; ++i) {
        whole = Clock::now() < end_ && send(fd, &text[i], 1, MSG_NOSIGNAL) == 1;
        std::this_thread::sleep_for(std::chrono::seconds(1));
      }
      char buf[64] = {};
      const ssize_t n = whole ? recv(fd, buf, sizeof buf - 1, 0) : 0;
      // Answered, or cut off by the server (a refused slow client): anything else is wrong.
      const bool answered = n > 0 && std::string(buf).rfind("HTTP/1.1 200", 0) == 0;
      tally_.slowAnswered += answered;
      if (n > 0 && !answered && std::string(buf).rfind("HTTP/1.1 408", 0) != 0)
        tally_.wrong(SlowLoris, std::string(buf, static_cast<size_t>(n)));
      close(fd);
    }
  }

  double since(Clock::time_point t) const { return std::chrono::duration<double>(t - start_).count(); }

 private:
  void valid(httplib::Client& client, Kind kind, std::mt19937& rng) {
    const auto t0 = Clock::now();
    httplib::Result res = kind == Models ? client.Get("/v1/models") : [&] {
      Json body = completion(rng, kind == StreamedChat);
      if (kind == StreamedChat) body["stream"] = true;
      return client.Post(kind == StreamedChat ? "/v1/chat/completions" : "/v1/completions", body.dump(),
                         "application/json");
    }();
    const double ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
    if (!res) return tally_.wrong(kind, "no answer: " + httplib::to_string(res.error()));
    const bool complete = kind == StreamedChat ? res->body.find("data: [DONE]") != std::string::npos
                                               : Json::parse(res->body, nullptr, false).is_object();
    if (res->status != 200 || !complete)
      return tally_.wrong(kind, std::to_string(res->status) + " " + res->body.substr(0, 200));
    std::lock_guard lock(tally_.mutex);
    tally_.latencies.emplace_back(since(t0), ms);
  }

  // Must be answered with a 4xx (an oversized body may instead be cut off while it is sent).
  void refused(httplib::Client& client, Kind kind, std::mt19937& rng) {
    static const std::string huge(9u << 20, 'a');
    const std::string body = kind == Oversized ? huge : badBody(rng, kind);
    httplib::Result res = client.Post(rng() % 2 ? "/v1/completions" : "/v1/chat/completions", body, "application/json");
    if (!res) {
      if (kind != Oversized) tally_.wrong(kind, "no answer: " + httplib::to_string(res.error()));
      return;
    }
    const bool error = Json::parse(res->body, nullptr, false).contains("error");
    if (res->status < 400 || res->status >= 500 || !error)
      tally_.wrong(kind, std::to_string(res->status) + " " + res->body.substr(0, 200));
  }

  // Headers cut off mid-line, or a streamed completion whose client resets the connection.
  void disconnect(Kind kind, std::mt19937& rng) {
    const int fd = connectTo(port_);
    if (fd < 0) return tally_.wrong(kind, "cannot connect");
    if (kind == CutHeaders) {
      const std::string text = request("POST", "/v1/completions", completion(rng, false).dump());
      send(fd, text.data(), 1 + rng() % (text.size() - 1), MSG_NOSIGNAL);
      return rng() % 2 ? resetAndClose(fd) : static_cast<void>(close(fd));
    }
    Json body = completion(rng, false);
    body["max_tokens"] = 64;
    body["stream"] = true;
    const std::string text = request("POST", "/v1/completions", body.dump());
    send(fd, text.data(), text.size(), MSG_NOSIGNAL);
    char buf[256] = {};
    const ssize_t n = recv(fd, buf, sizeof buf - 1, 0);
    if (n <= 0 || std::string(buf).rfind("HTTP/1.1 200", 0) != 0)
      tally_.wrong(kind, n <= 0 ? "no answer" : std::string(buf, static_cast<size_t>(n)));
    resetAndClose(fd);
  }

  int port_;
  Clock::time_point start_, end_;
  Tally& tally_;
};

// The resident set of a process, in MB.
double rssMb(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;
  return NAN;
}

}  // namespace

namespace {

struct Window {
  double p50, p99;
  size_t count;
};

Window window(const std::vector<std::pair<double, double>>& latencies, double from, double to) {
  std::vector<double> ms;
  for (const auto& [t, l] : latencies)
    if (t >= from && t < to) ms.push_back(l);
  return {bench::percentile(ms, 0.5), bench::percentile(ms, 0.99), ms.size()};
}

// The mean of the RSS samples (one per second) taken in [from, to).
double meanRss(const std::vector<std::pair<double, double>>& samples, double from, double to) {
  double sum = 0;
  int n = 0;
  for (const auto& [t, mb] : samples)
    if (t >= from && t < to) sum += mb, ++n;
  return n ? sum / n : NAN;
}

// Prints the report; returns whether the soak met its bars.
bool report(Tally& tally, const std::vector<std::pair<double, double>>& rss, int seconds, int warmup, bool alive) {
  std::printf("\n%-16s %10s %11s\n", "kind", "sent", "unexpected");
  int64_t unexpected = 0, validSent = 0;
  for (int k = 0; k < kKinds; ++k) {
    std::printf("%-16s %10lld %11lld\n", kKindNames[k], static_cast<long long>(tally.sent[k].load()),
                static_cast<long long>(tally.unexpected[k].load()));
    unexpected += tally.unexpected[k];
    if (k <= Models) validSent += tally.sent[k];
  }
  for (const auto& e : tally.examples) std::printf("  unexpected: %s\n", e.c_str());
  std::printf("valid requests answered: %zu of %lld; slow-loris requests answered: %lld\n", tally.latencies.size(),
              static_cast<long long>(validSent), static_cast<long long>(tally.slowAnswered.load()));
  const double start = meanRss(rss, warmup, warmup + 10), end = meanRss(rss, seconds - 10, seconds + 1);
  double peak = 0;
  for (const auto& [t, mb] : rss) peak = std::max(peak, mb);
  const double growth = 100.0 * (end / start - 1);
  std::printf(
      "server RSS: %.1f MB after the %d s warm-up, %.1f MB at the end, %.1f MB at most: %+.1f%% (bar: < 10%%)\n", start,
      warmup, end, peak, growth);
  const Window first = window(tally.latencies, warmup, warmup + 60);
  const Window last = window(tally.latencies, seconds - 60, seconds);
  std::printf("valid requests, first minute after warm-up: %zu, p50 %.1f ms, p99 %.1f ms\n", first.count, first.p50,
              first.p99);
  std::printf("valid requests, last minute:                %zu, p50 %.1f ms, p99 %.1f ms (p99 end/start %.2fx)\n",
              last.count, last.p50, last.p99, last.p99 / first.p99);
  std::printf("server %s\n", alive ? "alive and healthy at the end" : "DIED or stopped answering /health");
  return alive && unexpected == 0 && growth < 10.0;
}

}  // namespace

int main(int argc, char** argv) {
  const int clients = bench::argValue(argc, argv, "--clients", 64);
  const int seconds = bench::argValue(argc, argv, "--seconds", 600);
  const int warmup = bench::argValue(argc, argv, "--warmup", 60);
  if (seconds < warmup + 120) {
    std::fprintf(stderr, "reef-bench-soak: --seconds must be at least --warmup + 120 (two windows of a minute)\n");
    return 2;
  }
  setvbuf(stdout, nullptr, _IOLBF, 0);  // progress lines in order with the children's output
  char folder[] = "/tmp/reef-bench-soak-XXXXXX";
  if (!mkdtemp(folder)) return 1;
  const std::string dir = folder;
  bool ok = false;
  try {
    std::printf("training the KJV Llama example for 20 steps...\n");
    bench::run(kReef + " train " + kSource + "/resources/examples/llm/kjv_llama.yaml --run-dir " + dir +
               "/kjv --set trainer.max_steps=20 --set trainer.val_interval=20 --set trainer.limit_val_batches=1 "
               "--plain > /dev/null 2>&1");
    bench::ServeProcess server(kReef, dir + "/kjv");
    const int loris = std::max(1, clients / 8);
    std::printf("soak: %d clients (%d mixed, %d slow-loris) for %d s against `reef serve` with its defaults\n", clients,
                clients - loris, loris, seconds);
    Tally tally;
    Soak soak(server.port(), seconds, tally);
    std::vector<std::thread> threads;
    for (int c = 0; c < clients; ++c)
      threads.emplace_back([&soak, c, loris] { c < loris ? soak.slowLorisClient() : soak.mixedClient(1000u + c); });
    std::vector<std::pair<double, double>> rss;
    const auto start = Clock::now();
    for (int s = 0; s <= seconds; ++s) {
      std::this_thread::sleep_until(start + std::chrono::seconds(s));
      rss.emplace_back(s, rssMb(server.pid()));
    }
    for (auto& t : threads) t.join();
    httplib::Client probe("127.0.0.1", server.port());
    auto health = probe.Get("/health");
    ok = report(tally, rss, seconds, warmup, server.alive() && health && health->status == 200);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "reef-bench-soak: %s\n", e.what());
  }
  std::filesystem::remove_all(dir);
  return ok ? 0 : 1;
}
