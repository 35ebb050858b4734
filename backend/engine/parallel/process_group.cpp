#include "backend/engine/parallel/process_group.h"

#include "backend/engine/core/torch_compat.h"
#include "backend/engine/parallel/heartbeat.h"
#include "backend/engine/parallel/peer_names.h"

#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#ifdef USE_C10D_NCCL
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif

#include <algorithm>
#include <cstdlib>
#include <stdexcept>

namespace reef::engine {

void ProcessGroup::allReduceMean(torch::Tensor& tensor) {
  allReduceSum(tensor);
  if (size() > 1) tensor.div_(size());
}

namespace {

// Who the job's ranks are and whether they still answer: what completes a failed collective's
// message, which names an address at best and often nobody (a timeout).
struct Peers {
  PeerNames names;
  std::unique_ptr<Heartbeat> heartbeat;

  std::string diagnose(const std::string& what) const {
    const std::string named = names.explain(what);
    if (named != what || !heartbeat) return named;
    constexpr auto kWindow = std::chrono::seconds(3);  // three beats
    const auto silent = heartbeat->silentRanks(kWindow);
    if (!silent)
      return what + " (the rendezvous store at " + heartbeat->storeAddress() +
             " does not answer either: this rank is cut off from rank 0)";
    if (silent->empty()) return what;
    return what + " (no sign of life from " + names.describe(*silent) + " for " + std::to_string(kWindow.count()) +
           " s)";
  }
};

// Waits for `work`; a failure names the nodes and ranks behind it.
void await(const c10::intrusive_ptr<c10d::Work>& work, const Peers& peers) {
  try {
    work->wait();
  } catch (const std::exception& e) {
    throw std::runtime_error(peers.diagnose(e.what()));
  }
}

class C10dPending : public PendingCollective {
 public:
  C10dPending(c10::intrusive_ptr<c10d::Work> work, std::shared_ptr<const Peers> peers)
      : work_(std::move(work)), peers_(std::move(peers)) {}
  void wait() override {
    if (work_) await(work_, *peers_);
    work_.reset();
  }

 private:
  c10::intrusive_ptr<c10d::Work> work_;
  std::shared_ptr<const Peers> peers_;
};

// A collective on a GPU copy of a CPU tensor: wait() also copies the result back.
class StagedPending : public PendingCollective {
 public:
  StagedPending(std::unique_ptr<PendingCollective> inner, torch::Tensor staged, torch::Tensor target)
      : inner_(std::move(inner)), staged_(std::move(staged)), target_(std::move(target)) {}
  void wait() override {
    if (!inner_) return;
    inner_->wait();
    inner_.reset();
    target_.copy_(staged_);
  }

 private:
  std::unique_ptr<PendingCollective> inner_;
  torch::Tensor staged_, target_;
};

class Done : public PendingCollective {
 public:
  void wait() override {}
};

using Backend = compat::C10dBackend;

class C10dGroup : public ProcessGroup {
 public:
  C10dGroup(c10::intrusive_ptr<c10d::Store> store, c10::intrusive_ptr<Backend> pg, const torch::Device& device,
            bool local, std::chrono::milliseconds timeout, std::shared_ptr<const Peers> peers)
      : store_(std::move(store)),
        pg_(std::move(pg)),
        device_(device),
        local_(local),
        timeout_(timeout),
        peers_(std::move(peers)) {}

  int rank() const override { return pg_->getRank(); }
  int size() const override { return pg_->getSize(); }
  std::string backend() const override { return nccl() ? "nccl" : "gloo"; }

  std::unique_ptr<PendingCollective> allReduceSumAsync(torch::Tensor& tensor) override {
    torch::Tensor staged = onBackend(tensor);
    std::vector<at::Tensor> tensors = {staged};
    c10d::AllreduceOptions options;
    options.reduceOp = c10d::ReduceOp::SUM;
    auto pending = std::make_unique<C10dPending>(pg_->allreduce(tensors, options), peers_);
    if (staged.is_same(tensor)) return pending;
    return std::make_unique<StagedPending>(std::move(pending), staged, tensor);
  }

  void allReduceMax(torch::Tensor& tensor) override {
    std::vector<at::Tensor> tensors = {onBackend(tensor)};
    c10d::AllreduceOptions options;
    options.reduceOp = c10d::ReduceOp::MAX;
    await(pg_->allreduce(tensors, options), *peers_);
    copyBack(tensors[0], tensor);
  }

  void broadcast(torch::Tensor& tensor, int root) override {
    std::vector<at::Tensor> tensors = {onBackend(tensor)};
    c10d::BroadcastOptions options;
    options.rootRank = root;
    await(pg_->broadcast(tensors, options), *peers_);
    copyBack(tensors[0], tensor);
  }

  torch::Tensor allGather(const torch::Tensor& tensor) override {
    std::vector<at::Tensor> input = {onBackend(tensor).contiguous()};
    std::vector<std::vector<at::Tensor>> output(1);
    for (int r = 0; r < size(); ++r) output[0].push_back(torch::empty_like(input[0]));
    await(pg_->allgather(output, input), *peers_);
    return torch::cat(output[0], 0).to(tensor.device());
  }

  torch::Tensor reduceScatterSum(const torch::Tensor& input) override {
    const int64_t rows = input.size(0) / size();
    if (rows * size() != input.size(0))
      throw std::invalid_argument("reduce-scatter: dimension 0 (" + std::to_string(input.size(0)) +
                                  ") is not divisible by the group size " + std::to_string(size()));
    if (nccl()) {
      const torch::Tensor staged = onBackend(input);
      std::vector<at::Tensor> output = {torch::empty_like(staged.narrow(0, 0, rows))};
      std::vector<std::vector<at::Tensor>> parts(1);
      for (int r = 0; r < size(); ++r) parts[0].push_back(staged.narrow(0, r * rows, rows).contiguous());
      c10d::ReduceScatterOptions options;
      options.reduceOp = c10d::ReduceOp::SUM;
      await(pg_->reduce_scatter(output, parts, options), *peers_);
      return output[0].to(input.device());
    }
    // Gloo has no reduce-scatter: an all-to-all sends part r of the input to rank r, then each rank
    // adds up the parts it received. Each rank sends (n-1)/n of the input, as in a ring
    // reduce-scatter (an all-reduce would send twice that).
    const std::vector<int64_t> splits(static_cast<size_t>(size()), rows);
    std::vector<int64_t> partsShape = input.sizes().vec();
    partsShape[0] = rows;
    partsShape.insert(partsShape.begin(), size());
    return allToAll(input, splits, splits).view(partsShape).sum(0);
  }

  torch::Tensor allToAll(const torch::Tensor& input, const std::vector<int64_t>& inSplits,
                         const std::vector<int64_t>& outSplits) override {
    int64_t outRows = 0;
    for (int64_t s : outSplits) outRows += s;
    torch::Tensor in = onBackend(input).contiguous();
    std::vector<int64_t> shape = in.sizes().vec();
    shape[0] = outRows;
    torch::Tensor output = torch::empty(shape, in.options());
    std::vector<int64_t> outS = outSplits, inS = inSplits;
    await(pg_->alltoall_base(output, in, outS, inS), *peers_);
    return output.to(input.device());
  }

  void barrier() override { await(pg_->barrier(), *peers_); }

  std::shared_ptr<ProcessGroup> subgroup(const std::vector<int>& ranks, const std::string& name) override {
    const auto it = std::find(ranks.begin(), ranks.end(), rank());
    if (it == ranks.end()) return nullptr;
    auto store = c10::make_intrusive<c10d::PrefixStore>("group/" + name, store_);
    return std::make_shared<C10dGroup>(store,
                                       makeBackend(store, static_cast<int>(it - ranks.begin()),
                                                   static_cast<int>(ranks.size()), nccl(), local_, timeout_),
                                       device_, local_, timeout_, peers_);
  }

  static c10::intrusive_ptr<Backend> makeBackend(const c10::intrusive_ptr<c10d::Store>& store, int rank, int size,
                                                 bool nccl, bool local, std::chrono::milliseconds timeout) {
#ifdef USE_C10D_NCCL
    if (nccl) {
      auto options = c10d::ProcessGroupNCCL::Options::create();
      options->timeout = timeout;
      return c10::make_intrusive<c10d::ProcessGroupNCCL>(store, rank, size, options);
    }
#else
    if (nccl) throw std::runtime_error("this LibTorch was built without NCCL");
#endif
    auto options = c10d::ProcessGroupGloo::Options::create(timeout);
    options->devices = glooDevices(local);
    return c10::make_intrusive<c10d::ProcessGroupGloo>(store, rank, size, options);
  }

  // Where Gloo's connections go: loopback for a job on one machine; the interfaces in
  // GLOO_SOCKET_IFNAME (comma-separated, as PyTorch reads it) where the cluster names them; else
  // the address this host's name resolves to.
  static std::vector<std::shared_ptr<::gloo::transport::Device>> glooDevices(bool local) {
    if (local) return {c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1")};
    const char* names = std::getenv("GLOO_SOCKET_IFNAME");
    if (!names || !*names) return {c10d::ProcessGroupGloo::createDefaultDevice()};
    std::vector<std::shared_ptr<::gloo::transport::Device>> devices;
    std::string list = names;
    for (size_t start = 0; start <= list.size();) {
      const size_t end = std::min(list.find(',', start), list.size());
      const std::string name = list.substr(start, end - start);
      if (!name.empty()) {
        try {
          devices.push_back(c10d::ProcessGroupGloo::createDeviceForInterface(name));
        } catch (const std::exception& e) {
          throw std::runtime_error("GLOO_SOCKET_IFNAME names the interface '" + name +
                                   "', which this host cannot use (" + e.what() +
                                   "): name one that `ip addr` shows, or unset it");
        }
      }
      start = end + 1;
    }
    return devices;
  }

 private:
  bool nccl() const { return device_.is_cuda(); }
  // NCCL moves only GPU tensors: CPU ones (counters, flags, generator states) go through this
  // rank's GPU and back.
  torch::Tensor onBackend(const torch::Tensor& t) const { return nccl() && !t.is_cuda() ? t.to(device_) : t; }
  static void copyBack(const torch::Tensor& staged, torch::Tensor& target) {
    if (!staged.is_same(target)) target.copy_(staged);
  }

  c10::intrusive_ptr<c10d::Store> store_;
  c10::intrusive_ptr<Backend> pg_;
  torch::Device device_;
  bool local_;
  std::chrono::milliseconds timeout_;
  std::shared_ptr<const Peers> peers_;
};

class SingleGroup : public ProcessGroup {
 public:
  int rank() const override { return 0; }
  int size() const override { return 1; }
  std::string backend() const override { return "single"; }
  std::unique_ptr<PendingCollective> allReduceSumAsync(torch::Tensor&) override { return std::make_unique<Done>(); }
  void allReduceMax(torch::Tensor&) override {}
  void broadcast(torch::Tensor&, int) override {}
  torch::Tensor allGather(const torch::Tensor& t) override { return t.clone(); }
  torch::Tensor reduceScatterSum(const torch::Tensor& input) override { return input.clone(); }
  torch::Tensor allToAll(const torch::Tensor& input, const std::vector<int64_t>&,
                         const std::vector<int64_t>&) override {
    return input.clone();
  }
  void barrier() override {}
  std::shared_ptr<ProcessGroup> subgroup(const std::vector<int>& ranks, const std::string&) override {
    return ranks.size() == 1 && ranks[0] == 0 ? singleProcessGroup() : nullptr;
  }
};

// Each rank's host name, published by every rank once the store is up (read before any failure:
// the store may be gone by then).
std::vector<std::string> exchangeHosts(c10d::Store& store, const DistEnv& env) {
  const std::string host = thisHost();
  store.set("reef/host/" + std::to_string(env.rank), std::vector<uint8_t>(host.begin(), host.end()));
  std::vector<std::string> hosts;
  for (int r = 0; r < env.world; ++r) {
    const std::vector<uint8_t> bytes = store.get("reef/host/" + std::to_string(r));
    hosts.emplace_back(bytes.begin(), bytes.end());
  }
  return hosts;
}

}  // namespace

std::shared_ptr<ProcessGroup> singleProcessGroup() { return std::make_shared<SingleGroup>(); }

std::shared_ptr<ProcessGroup> ProcessGroup::create(const DistEnv& env, const torch::Device& device,
                                                   std::chrono::milliseconds timeout) {
  if (!env.distributed()) return singleProcessGroup();
  c10d::TCPStoreOptions options;
  options.port = static_cast<std::uint16_t>(env.masterPort);
  options.isServer = env.rank == 0;
  options.numWorkers = static_cast<std::size_t>(env.world);
  options.timeout = timeout;
  c10::intrusive_ptr<c10d::Store> store;
  try {
    store = c10::make_intrusive<c10d::TCPStore>(env.masterAddr, options);
  } catch (const std::exception& e) {
    throw std::runtime_error("rank " + std::to_string(env.rank) + " cannot reach the rendezvous at " + env.masterAddr +
                             ":" + std::to_string(env.masterPort) + " (MASTER_ADDR/MASTER_PORT): " + e.what());
  }
  const bool local = env.masterAddr == "127.0.0.1" || env.masterAddr == "localhost";
  return std::make_shared<C10dGroup>(
      store, C10dGroup::makeBackend(store, env.rank, env.world, device.is_cuda(), local, timeout), device, local,
      timeout,
      std::make_shared<const Peers>(Peers{
          PeerNames(exchangeHosts(*store, env)),
          std::make_unique<Heartbeat>(env.masterAddr, env.masterPort, env.rank, env.world, std::chrono::seconds(1))}));
}

}  // namespace reef::engine
