#pragma once
#include <string>

namespace reef::storage {

// Whether a larger value of the metric is better (accuracy, F1, throughput) or a smaller one
// (loss, error rates, perplexity, latency): decides each summary's "best". A run's exp.monitor
// and monitor_mode override this for that key.
bool higherIsBetter(const std::string& metricKey);

}  // namespace reef::storage
