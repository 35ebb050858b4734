#pragma once
// The LLaVA-style captioner (NeMo's NeVA idea at small scale): the CLIP image encoder's feature
// tokens, a two-layer projector into the decoder's width, and the LLM collection's Llama decoder
// reading [image tokens, BOS, caption] and predicting the caption and EOS. Names follow LLaVA's:
// vision_tower, multi_modal_projector, language_model.
#include "backend/collections/llm/llama.h"
#include "backend/collections/multimodal/clip_network.h"

#include <torch/torch.h>

namespace reef::multimodal {

class CaptionerNetworkImpl : public torch::nn::Module {
 public:
  CaptionerNetworkImpl(int64_t imageWidth, const llm::LlamaConfig& decoder);
  // images [B, 3, S, S] -> the decoder's input embeddings of the image [B, P, dim].
  torch::Tensor imagePrefix(const torch::Tensor& images);
  // Logits [B, T, vocab] of the positions of `ids` [B, T] when they follow the images.
  torch::Tensor logits(const torch::Tensor& images, const torch::Tensor& ids);

  ImageEncoder vision_tower{nullptr};
  torch::nn::Sequential multi_modal_projector{nullptr};
  llm::LlamaForCausalLM language_model{nullptr};
};
TORCH_MODULE(CaptionerNetwork);

}  // namespace reef::multimodal
