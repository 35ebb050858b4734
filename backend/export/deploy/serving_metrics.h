#pragma once
// What `reef serve` counts, exposed at /metrics in Prometheus' text format: requests by endpoint
// and status, a request latency histogram per endpoint, requests in flight, generated tokens and
// the generation rate, the sizes of the batches the model ran (dynamic batching's items, continuous
// batching's sequences per step), and the sequences decoding and waiting. Thread-safe.
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace reef::deploy {

class ServingMetrics {
 public:
  ServingMetrics();

  void requestStarted();
  void requestFinished(const std::string& endpoint, int status, double seconds);
  void tokensGenerated(int64_t tokens, double seconds);
  void batchRun(size_t size);
  // Continuous batching's state after a decoding step.
  void generationQueue(size_t running, size_t waiting);

  int64_t inFlight() const;
  int64_t requestsTotal() const;
  // The whole exposition (text/plain; version=0.0.4).
  std::string prometheusText() const;

 private:
  struct Histogram {
    std::vector<int64_t> counts;  // per bucket bound, not cumulative; last = +Inf
    double sum = 0;
    int64_t count = 0;
  };
  static void observe(Histogram& h, const std::vector<double>& bounds, double value);
  static void write(std::string& out, const std::string& name, const std::string& labels, const Histogram& h,
                    const std::vector<double>& bounds);

  mutable std::mutex mutex_;
  std::vector<double> latencyBounds_, batchBounds_;
  std::map<std::pair<std::string, int>, int64_t> requests_;
  std::map<std::string, Histogram> latency_;
  Histogram batches_;
  int64_t inFlight_ = 0;
  size_t sequencesRunning_ = 0, requestsWaiting_ = 0;
  int64_t tokens_ = 0;
  double generationSeconds_ = 0;
  double lastTokensPerSecond_ = 0;
};

}  // namespace reef::deploy
