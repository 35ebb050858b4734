#include "storage/metric_direction.h"

#include <algorithm>

namespace reef::storage {

bool higherIsBetter(const std::string& key) {
  // The name after the namespace: "val/acc" -> "acc", "perf/samples_per_s" -> "samples_per_s".
  const std::string name = key.substr(key.rfind('/') == std::string::npos ? 0 : key.rfind('/') + 1);
  static const char* higher[] = {"acc", "accuracy", "f1",      "precision", "recall", "bleu",       "exact", "auc",
                                 "map", "score",    "recall@", "per_s",     "mfu",    "throughput", "r@"};
  static const char* lower[] = {"loss",  "wer", "cer",     "perplexity", "ppl", "bpb", "bits_per_byte",
                                "error", "_ms", "seconds", "latency",    "l1",  "mse"};
  auto contains = [&](const char* word) { return name.find(word) != std::string::npos; };
  if (std::any_of(std::begin(lower), std::end(lower), contains)) return false;
  return std::any_of(std::begin(higher), std::end(higher), contains);
}

}  // namespace reef::storage
