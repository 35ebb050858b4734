#pragma once
#include <torch/torch.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace reef::engine {

enum class Split { Train, Val, Test };
const char* splitName(Split split);  // "train", "val", "test"

// Named tensors of one batch. `size` counts samples; `tokens` counts tokens where that applies
// (it feeds perf/tokens_per_s), 0 otherwise.
struct Batch {
  std::map<std::string, torch::Tensor> fields;
  int64_t size = 0;
  int64_t tokens = 0;

  const torch::Tensor& at(const std::string& name) const;
  Batch to(const torch::Device& device) const;
};

// A random-access dataset. get() is called from the data loader's worker threads at the same
// time, so it must not mutate shared state.
class Dataset {
 public:
  virtual ~Dataset() = default;
  virtual int64_t size() const = 0;
  virtual Batch get(const std::vector<int64_t>& indices) const = 0;
  // Per-sample lengths (seconds of audio, tokens) when samples differ in size: the training
  // loader then batches samples of similar length together so that padding stays small. Empty:
  // every sample costs the same.
  virtual std::vector<double> lengths() const { return {}; }
};

}  // namespace reef::engine
