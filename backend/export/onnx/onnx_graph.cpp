#include "backend/export/onnx/onnx_graph.h"

#include "backend/protocol/atomic_file.h"

#include <onnx/checker.h>
#include <onnx/onnx_pb.h>
#include <onnx/shape_inference/implementation.h>

#include <fstream>
#include <stdexcept>

namespace reef::exporting {

struct OnnxGraph::Proto {
  onnx::ModelProto model;
  onnx::GraphProto* graph() { return model.mutable_graph(); }
};

namespace {

void setShape(onnx::ValueInfoProto* info, const std::string& name, const std::vector<int64_t>& dims,
              onnx::TensorProto::DataType type = onnx::TensorProto::FLOAT) {
  info->set_name(name);
  auto* tensor = info->mutable_type()->mutable_tensor_type();
  tensor->set_elem_type(type);
  for (int64_t d : dims) {
    static const char* const kDynamic[] = {"batch", "sequence", "frames", "output_frames"};
    auto* dim = tensor->mutable_shape()->add_dim();
    if (d >= 0)
      dim->set_dim_value(d);
    else if (-d <= 4)
      dim->set_dim_param(kDynamic[-d - 1]);
    else
      throw std::invalid_argument("no dynamic axis " + std::to_string(d) + " (an exporter bug)");
  }
}

}  // namespace

OnnxGraph::OnnxGraph(const std::string& graphName, const std::string& input, const std::vector<int64_t>& dims,
                     bool int64Input)
    : p_(std::make_unique<Proto>()), input_(input) {
  auto& m = p_->model;
  m.set_ir_version(onnx::IR_VERSION);
  m.set_producer_name("reef");
  auto* opset = m.add_opset_import();
  opset->set_domain("");
  opset->set_version(kOnnxOpset);
  p_->graph()->set_name(graphName);
  setShape(p_->graph()->add_input(), input, dims, int64Input ? onnx::TensorProto::INT64 : onnx::TensorProto::FLOAT);
}

OnnxGraph::~OnnxGraph() = default;

std::string OnnxGraph::constant(const std::string& name, const torch::Tensor& value) {
  const std::string unique = name + "_" + std::to_string(counter_++);
  auto* t = p_->graph()->add_initializer();
  t->set_name(unique);
  for (int64_t d : value.sizes()) t->add_dims(d);
  const torch::Tensor v = value.detach().to(torch::kCPU).contiguous();
  if (v.scalar_type() == torch::kInt64) {
    t->set_data_type(onnx::TensorProto::INT64);
    t->set_raw_data(std::string(static_cast<const char*>(v.data_ptr()), static_cast<size_t>(v.numel()) * 8));
  } else {
    const torch::Tensor f = v.to(torch::kFloat32).contiguous();
    t->set_data_type(onnx::TensorProto::FLOAT);
    t->set_raw_data(std::string(static_cast<const char*>(f.data_ptr()), static_cast<size_t>(f.numel()) * 4));
  }
  return unique;
}

std::string OnnxGraph::ints(const std::string& name, const std::vector<int64_t>& values) {
  return constant(name, torch::tensor(values, torch::kInt64));
}

std::string OnnxGraph::node(const std::string& op, const std::vector<std::string>& inputs,
                            const std::vector<std::pair<std::string, OnnxAttribute>>& attributes) {
  auto* n = p_->graph()->add_node();
  const std::string out = op + "_" + std::to_string(counter_++);
  n->set_op_type(op);
  n->set_name(out);
  for (const auto& i : inputs) n->add_input(i);
  n->add_output(out);
  for (const auto& [name, value] : attributes) {
    auto* a = n->add_attribute();
    a->set_name(name);
    if (const auto* i = std::get_if<int64_t>(&value)) {
      a->set_type(onnx::AttributeProto::INT);
      a->set_i(*i);
    } else if (const auto* f = std::get_if<float>(&value)) {
      a->set_type(onnx::AttributeProto::FLOAT);
      a->set_f(*f);
    } else if (const auto* is = std::get_if<std::vector<int64_t>>(&value)) {
      a->set_type(onnx::AttributeProto::INTS);
      for (int64_t x : *is) a->add_ints(x);
    } else {
      a->set_type(onnx::AttributeProto::STRING);
      a->set_s(std::get<std::string>(value));
    }
  }
  return out;
}

void OnnxGraph::output(const std::string& value, const std::string& name, const std::vector<int64_t>& dims) {
  node("Identity", {value});
  p_->graph()->mutable_node(p_->graph()->node_size() - 1)->set_output(0, name);
  setShape(p_->graph()->add_output(), name, dims);
}

void OnnxGraph::metadata(const std::string& key, const std::string& value) {
  auto* entry = p_->model.add_metadata_props();
  entry->set_key(key);
  entry->set_value(value);
}

void OnnxGraph::write(const std::filesystem::path& file) const {
  onnx::ModelProto checked = p_->model;
  try {
    onnx::checker::check_model(checked);
    onnx::ShapeInferenceOptions strict{/*check_type=*/true, /*error_mode=*/1, /*enable_data_propagation=*/true};
    onnx::shape_inference::InferShapes(checked, onnx::OpSchemaRegistry::Instance(), strict);
  } catch (const std::exception& e) {
    throw std::runtime_error("the ONNX graph for '" + file.string() + "' fails ONNX's checks: " + e.what() +
                             " (a bug in Reef's exporter: please report it with the spec)");
  }
  if (file.has_parent_path()) std::filesystem::create_directories(file.parent_path());
  protocol::replaceWhenWritten(file, [&](const std::filesystem::path& temp) {
    std::ofstream out(temp, std::ios::binary | std::ios::trunc);
    if (!p_->model.SerializeToOstream(&out) || !out.flush())
      throw std::runtime_error("cannot write '" + temp.string() + "' (is the disk full?)");
  });
}

std::filesystem::path besideGraph(const std::filesystem::path& graph, const std::string& suffix) {
  return graph.parent_path() / (graph.stem().string() + suffix);
}

}  // namespace reef::exporting
