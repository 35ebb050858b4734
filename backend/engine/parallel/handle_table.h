#pragma once
// Autograd contexts hold IValues, not C++ objects: the objects a differentiable collective needs
// (process groups, FSDP units) travel through them as indices into a process-wide table. A job has
// a handful of such objects that live as long as it does, so a table only grows by that much.
#include <cstdint>
#include <mutex>
#include <vector>

namespace reef::engine {

template <typename Handle>
class HandleTable {
 public:
  int64_t idOf(const Handle& handle) {
    std::lock_guard<std::mutex> lock(mutex_);
    for (size_t i = 0; i < handles_.size(); ++i)
      if (handles_[i] == handle) return static_cast<int64_t>(i);
    handles_.push_back(handle);
    return static_cast<int64_t>(handles_.size() - 1);
  }

  Handle byId(int64_t id) {
    std::lock_guard<std::mutex> lock(mutex_);
    return handles_.at(static_cast<size_t>(id));
  }

 private:
  std::mutex mutex_;
  std::vector<Handle> handles_;
};

}  // namespace reef::engine
