#include "backend/collections/multimodal/captioner_network.h"

namespace reef::multimodal {

namespace nn = torch::nn;

CaptionerNetworkImpl::CaptionerNetworkImpl(int64_t imageWidth, const llm::LlamaConfig& decoder) {
  vision_tower = register_module("vision_tower", ImageEncoder(imageWidth));
  multi_modal_projector = register_module(
      "multi_modal_projector",
      nn::Sequential(nn::Linear(vision_tower->dim(), decoder.dim), nn::GELU(), nn::Linear(decoder.dim, decoder.dim)));
  language_model = register_module("language_model", llm::LlamaForCausalLM(decoder));
}

torch::Tensor CaptionerNetworkImpl::imagePrefix(const torch::Tensor& images) {
  return multi_modal_projector->forward(vision_tower->forward(images));
}

torch::Tensor CaptionerNetworkImpl::logits(const torch::Tensor& images, const torch::Tensor& ids) {
  const torch::Tensor prefix = imagePrefix(images);
  const torch::Tensor text = language_model->model->embed_tokens.forward(ids);
  const torch::Tensor all = language_model->forwardEmbedded(torch::cat({prefix, text}, 1));
  return all.narrow(1, prefix.size(1), ids.size(1));
}

}  // namespace reef::multimodal
