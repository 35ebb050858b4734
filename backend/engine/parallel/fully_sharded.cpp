#include "backend/engine/parallel/fully_sharded.h"

#include "backend/engine/core/torch_compat.h"
#include "backend/engine/parallel/collective_ops.h"
#include "backend/engine/parallel/handle_table.h"
#include "backend/protocol/json.h"

#include <algorithm>
#include <fstream>
#include <set>
#include <stdexcept>

namespace reef::engine {

namespace {

HandleTable<FullyShardedUnit*>& units() {
  static HandleTable<FullyShardedUnit*> table;
  return table;
}

using torch::autograd::AutogradContext;
using torch::autograd::tensor_list;

struct ShardedForward : torch::autograd::Function<ShardedForward> {
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& input, const torch::Tensor& shard,
                               int64_t unit) {
    FullyShardedUnit* u = units().byId(unit);
    u->materialize(u->group()->allGather(shard.detach()));
    torch::Tensor out;
    {
      torch::NoGradGuard noGrad;  // recomputed with gradients in backward
      out = u->runner()(input);
    }
    u->release();
    ctx->saved_data["unit"] = unit;
    // Backward recomputes the forward: under the same mixed precision (autocast is per thread
    // and already off when backward runs).
    ctx->saved_data["autocast"] = compat::autocastEnabled(input.device());
    ctx->saved_data["autocast_dtype"] = static_cast<int64_t>(compat::autocastDtype(input.device()));
    ctx->save_for_backward({input});
    return out;
  }

  static tensor_list backward(AutogradContext* ctx, tensor_list grads) {
    FullyShardedUnit* u = units().byId(ctx->saved_data["unit"].toInt());
    const torch::Tensor input = ctx->get_saved_variables()[0];
    u->materialize(u->group()->allGather(u->shard().detach()));
    torch::Tensor x = input.detach().requires_grad_(input.requires_grad());
    {
      torch::AutoGradMode enable(true);
      const bool autocast = ctx->saved_data["autocast"].toBool();
      const bool wasOn = compat::autocastEnabled(input.device());
      const auto wasDtype = compat::autocastDtype(input.device());
      if (autocast)
        compat::setAutocast(input.device(), true,
                            static_cast<torch::ScalarType>(ctx->saved_data["autocast_dtype"].toInt()));
      torch::Tensor out = u->runner()(x);
      if (autocast) compat::setAutocast(input.device(), wasOn, wasDtype);
      torch::autograd::backward({out}, {grads[0]});
    }
    // Gradients of the local batch, averaged over the ranks' batches, this rank's slice kept.
    torch::Tensor shardGrad = u->group()->reduceScatterSum(u->flatGradient()).div_(u->group()->size());
    u->release();
    return {input.requires_grad() ? x.grad() : torch::Tensor(), shardGrad, torch::Tensor()};
  }
};

}  // namespace

FullyShardedUnit::FullyShardedUnit(std::string name, std::shared_ptr<torch::nn::Module> module,
                                   std::shared_ptr<ProcessGroup> group)
    : name_(std::move(name)), module_(std::move(module)), group_(std::move(group)) {
  for (const auto& p : module_->named_parameters(true)) {
    params_.emplace_back(p.key(), p.value());
    shapes_.push_back(p.value().sizes().vec());
    offsets_.push_back(numel_);
    numel_ += p.value().numel();
  }
  const int64_t world = group_->size();
  padded_ = (numel_ + world - 1) / world * world;  // equal shards
  torch::Tensor flat =
      torch::zeros({padded_}, params_.empty() ? torch::TensorOptions() : params_.front().second.options());
  {
    torch::NoGradGuard noGrad;
    for (size_t i = 0; i < params_.size(); ++i)
      flat.narrow(0, offsets_[i], params_[i].second.numel()).copy_(params_[i].second.reshape(-1));
  }
  const int64_t size = padded_ / world;
  shard_ = flat.narrow(0, group_->rank() * size, size).clone().set_requires_grad(true);
  release();
}

void FullyShardedUnit::materialize(const torch::Tensor& flat) {
  torch::NoGradGuard noGrad;
  for (size_t i = 0; i < params_.size(); ++i) {
    torch::Tensor& p = params_[i].second;
    const int64_t n = c10::multiply_integers(shapes_[i]);
    p.set_data(flat.narrow(0, offsets_[i], n).view(shapes_[i]));
    p.mutable_grad() = torch::Tensor();
  }
}

void FullyShardedUnit::release() {
  // Empty storage of the right dtype: the full parameters exist only while gathered.
  for (auto& [name, p] : params_) {
    p.set_data(torch::empty({0}, p.options()));
    p.mutable_grad() = torch::Tensor();
  }
}

torch::Tensor FullyShardedUnit::flatGradient() const {
  torch::Tensor flat = torch::zeros({padded_}, shard_.options());
  for (size_t i = 0; i < params_.size(); ++i)
    if (params_[i].second.grad().defined())
      flat.narrow(0, offsets_[i], params_[i].second.grad().numel()).copy_(params_[i].second.grad().reshape(-1));
  return flat;
}

torch::Tensor FullyShardedUnit::forward(const torch::Tensor& input,
                                        std::function<torch::Tensor(const torch::Tensor&)> run) {
  run_ = std::move(run);
  return ShardedForward::apply(input, shard_, units().idOf(this));
}

NamedTensors FullyShardedUnit::gatherFull() const { return gatherFlat(shard_, ""); }

NamedTensors FullyShardedUnit::gatherFlat(const torch::Tensor& shardLike, const std::string& suffix) const {
  torch::NoGradGuard noGrad;
  const torch::Tensor flat = group_->allGather(shardLike.detach());
  NamedTensors out;
  for (size_t i = 0; i < params_.size(); ++i)
    out.emplace_back(name_ + "." + params_[i].first + suffix,
                     flat.narrow(0, offsets_[i], c10::multiply_integers(shapes_[i])).view(shapes_[i]).clone());
  return out;
}

void FullyShardedUnit::loadFull(const std::map<std::string, torch::Tensor>& tensors, const std::string& source) {
  torch::NoGradGuard noGrad;
  shard_.copy_(sliceFlat(tensors, "", source));
}

torch::Tensor FullyShardedUnit::sliceFlat(const std::map<std::string, torch::Tensor>& tensors,
                                          const std::string& suffix, const std::string& source) const {
  torch::Tensor flat = torch::zeros({padded_}, shard_.options().requires_grad(false));
  for (size_t i = 0; i < params_.size(); ++i) {
    const std::string key = name_ + "." + params_[i].first + suffix;
    auto it = tensors.find(key);
    if (it == tensors.end()) throw std::runtime_error("'" + source + "' has no tensor '" + key + "'");
    if (it->second.sizes().vec() != shapes_[i])
      throw std::runtime_error("'" + source + "': tensor '" + key + "' has another shape than the model's");
    flat.narrow(0, offsets_[i], it->second.numel()).copy_(it->second.reshape(-1));
  }
  const int64_t size = padded_ / group_->size();
  return flat.narrow(0, group_->rank() * size, size).clone();
}

torch::Tensor FullyShardedUnit::matrixMask() const {
  torch::Tensor flat = torch::zeros({padded_}, shard_.options().requires_grad(false));
  for (size_t i = 0; i < params_.size(); ++i)
    if (shapes_[i].size() >= 2) flat.narrow(0, offsets_[i], c10::multiply_integers(shapes_[i])).fill_(1);
  const int64_t size = padded_ / group_->size();
  return flat.narrow(0, group_->rank() * size, size).clone();
}

std::vector<std::pair<std::string, std::pair<int64_t, std::vector<int64_t>>>> FullyShardedUnit::layout() const {
  std::vector<std::pair<std::string, std::pair<int64_t, std::vector<int64_t>>>> out;
  for (size_t i = 0; i < params_.size(); ++i) out.push_back({params_[i].first, {offsets_[i], shapes_[i]}});
  return out;
}

namespace {

const char* const kLayoutFile = "fsdp-layout.json";

std::filesystem::path rankFile(const std::filesystem::path& dir, int rank) {
  return dir / ("fsdp-rank-" + std::to_string(rank) + ".safetensors");
}

Json readLayout(const std::filesystem::path& dir) {
  std::ifstream in(dir / kLayoutFile);
  const Json layout = Json::parse(in, nullptr, false);
  if (layout.is_discarded() || layout.value("format", "") != "reef-fsdp")
    throw std::runtime_error("'" + (dir / kLayoutFile).string() + "' is missing or not an FSDP layout");
  return layout;
}

}  // namespace

void saveShardedState(const std::filesystem::path& dir, const std::vector<FullyShardedUnit*>& shardedUnits,
                      const ProcessGroup& group, const NamedTensors& shardLike) {
  std::filesystem::create_directories(dir);
  NamedTensors shards;
  std::set<std::string> suffixes = {""};
  for (auto* u : shardedUnits) shards.emplace_back(u->name() + ".flat", u->shard().detach());
  for (const auto& [name, tensor] : shardLike) {
    const auto unit = std::find_if(shardedUnits.begin(), shardedUnits.end(), [&](const FullyShardedUnit* u) {
      return name.compare(0, u->name().size() + 5, u->name() + ".flat") == 0;
    });
    if (unit == shardedUnits.end())
      throw std::invalid_argument("'" + name + "' is not laid out like a unit's flat shard");
    suffixes.insert(name.substr((*unit)->name().size() + 5));
    shards.emplace_back(name, tensor.detach());
  }
  saveTensors(rankFile(dir, group.rank()), shards);
  if (group.rank() != 0) return;
  Json layout;
  layout["format"] = "reef-fsdp";
  layout["world"] = group.size();
  layout["suffixes"] = suffixes;
  for (auto* u : shardedUnits) {
    Json unit;
    unit["padded"] = u->paddedSize();
    for (const auto& [name, place] : u->layout())
      unit["params"].push_back({{"name", name}, {"offset", place.first}, {"shape", place.second}});
    layout["units"][u->name()] = unit;
  }
  std::ofstream(dir / kLayoutFile) << layout.dump(2) << "\n";
}

bool hasShardedState(const std::filesystem::path& dir) { return std::filesystem::exists(dir / kLayoutFile); }

std::vector<std::string> shardedSuffixes(const std::filesystem::path& dir) {
  return readLayout(dir).value("suffixes", std::vector<std::string>{""});
}

std::map<std::string, std::map<std::string, torch::Tensor>> readShardedState(const std::filesystem::path& dir,
                                                                             const std::vector<std::string>& suffixes) {
  const Json layout = readLayout(dir);
  const int world = layout["world"].get<int>();
  std::vector<std::map<std::string, torch::Tensor>> ranks;
  for (int r = 0; r < world; ++r) {
    if (!std::filesystem::exists(rankFile(dir, r)))
      throw std::runtime_error("'" + rankFile(dir, r).string() + "' is missing: the checkpoint was written by " +
                               std::to_string(world) + " ranks and needs every rank's shards");
    ranks.push_back(loadTensors(rankFile(dir, r)));
  }
  std::map<std::string, std::map<std::string, torch::Tensor>> out;
  for (const std::string& suffix : suffixes) {
    auto& full = out[suffix];
    for (const auto& [unit, entry] : layout["units"].items()) {
      std::vector<torch::Tensor> parts;
      for (int r = 0; r < world; ++r) {
        const auto it = ranks[static_cast<size_t>(r)].find(unit + ".flat" + suffix);
        if (it == ranks[static_cast<size_t>(r)].end())
          throw std::runtime_error("'" + rankFile(dir, r).string() + "' has no tensor '" + unit + ".flat" + suffix +
                                   "'");
        parts.push_back(it->second);
      }
      const torch::Tensor flat = torch::cat(parts);  // the saving world's padded flat buffer
      for (const auto& p : entry["params"]) {
        const auto shape = p["shape"].get<std::vector<int64_t>>();
        full[unit + "." + p["name"].get<std::string>() + suffix] =
            flat.narrow(0, p["offset"].get<int64_t>(), c10::multiply_integers(shape)).view(shape);
      }
    }
  }
  return out;
}

void loadShardedState(const std::filesystem::path& dir, const std::vector<FullyShardedUnit*>& shardedUnits) {
  const Json units = readLayout(dir)["units"];
  const auto full = readShardedState(dir, {""}).at("");
  for (auto* u : shardedUnits) {
    if (!units.contains(u->name()))
      throw std::runtime_error("the sharded checkpoint in '" + dir.string() + "' has no unit '" + u->name() + "'");
    u->loadFull(full, dir.string());
  }
}

}  // namespace reef::engine
