#pragma once
// GPU utilisation and memory for `system` events, from the NVIDIA driver's `nvidia-smi` where the
// machine has it (no CUDA or NVML headers needed, so the CPU build reports them too when it runs
// beside a GPU). The query runs in the background: a training step never waits for it.
#include "backend/protocol/json.h"

#include <future>
#include <string>

namespace reef::engine {

// `nvidia-smi --query-gpu=index,utilization.gpu,memory.used,memory.total --format=csv,noheader,
// nounits` output as {"gpu<i>_util_percent", "gpu<i>_mem_used_mb", "gpu<i>_mem_total_mb"};
// lines it cannot read (e.g. "[N/A]") are left out.
Json parseNvidiaSmi(const std::string& csv);

class GpuStats {
 public:
  // `program` is looked up on PATH once; without it every take() is empty.
  explicit GpuStats(std::string program = "nvidia-smi");
  bool available() const { return !path_.empty(); }
  // The fields of the last query that has finished (empty while none has), and starts the next.
  Json take();

 private:
  std::string path_;
  std::string devices_;  // CUDA_VISIBLE_DEVICES when it lists device numbers: the GPUs asked about
  std::future<Json> pending_;
};

}  // namespace reef::engine
