#pragma once
// Retrieval measures of a dual encoder, with the figure a random ranking would reach beside each.
#include <torch/torch.h>

#include <cstdint>
#include <vector>

namespace reef::multimodal {

struct Recall {
  double imageToText = 0, textToImage = 0;
  double imageToTextChance = 0, textToImageChance = 0;
};

// similarity [N images, U texts]; textOf[i] is the index of image i's text. Image -> text: the
// share of images whose text is among their k most similar texts. Text -> image: the share of
// texts with at least one of their images among their k most similar images (a text can describe
// several images). Chance: min(k, U) / U, and per text 1 - C(N - n, k) / C(N, k) for its n images.
Recall recallAtK(const torch::Tensor& similarity, const std::vector<int64_t>& textOf, int64_t k);

}  // namespace reef::multimodal
