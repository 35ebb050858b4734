#include "backend/collections/multimodal/multimodal_collection.h"

#include "backend/collections/llm/llm_collection.h"
#include "backend/collections/multimodal/captioner_model.h"
#include "backend/collections/multimodal/clip_model.h"
#include "backend/collections/multimodal/clip_onnx.h"
#include "backend/collections/nlp/nlp_collection.h"
#include "backend/engine/core/inference.h"
#include "cmake/build_options.h"

namespace reef::multimodal {

using namespace protocol;

namespace {

Param imageWidth() {
  return intParam("image_width", 32, 4, 512,
                  "Channels of the image encoder's first convolutions (its feature tokens have 4x as many)");
}

std::map<std::string, engine::Exporter> clipExporters() {
#if REEF_WITH_ONNX
  return {{"onnx", exportOnnx}};
#else
  return {};
#endif
}

}  // namespace

void registerMultimodalCollection(engine::Registry& registry) {
  registry.addCollection(
      "multimodal",
      "Image-text models on JSON-lines manifests of captioned images (emoji with their names, Fashion-MNIST with "
      "generated captions): CLIP-style retrieval and zero-shot classification, LLaVA-style captioning",
      {
          stringParam("manifests", "multimodal/emoji.jsonl,multimodal/fashion.jsonl",
                      "Comma-separated JSON-lines manifests {image, text, split[, source, label, index]}: absolute, or "
                      "relative to the data root"),
          stringParam(
              "tokenizer", "multimodal/tokenizer.model",
              "SentencePiece model of the captions (reef tokenizer train): absolute, or relative to the data root"),
          intParam("image_size", 32, 8, 512, "Side images are resized to; a multiple of 8"),
          intParam("max_length", 24, 2, 1024, "Tokens of a caption the models read (the rest is cut)"),
          boolParam("balance_sources", true, "Repeat the training items of smaller sources so each is seen as often"),
          stringParam("zero_shot_prompt", "a photo of a {}",
                      "Prompt for zero-shot classification of labelled items; {} is replaced by the label"),
      });

  registry.addModel(
      "multimodal",
      {"clip",
       "CLIP-style dual encoder: a CNN image encoder and a transformer text encoder in one embedding space, trained "
       "with "
       "the symmetric contrastive loss and a learned temperature",
       [] {
         Section s = {imageWidth(), intParam("embed_dim", 128, 8, 4096, "Width of the shared embedding space")};
         for (Param p : nlp::encoderTrunkParams()) s.push_back(p);
         return s;
       }(),
       // The studio's retrieval view searches the test images of a checkpointed run.
       ModelCapabilities{{}, engine::serving::kEmbedding, {}, {views::kRetrieval}, "test"}},
      [](const engine::ModelContext& context) -> std::unique_ptr<engine::Model> {
        return std::make_unique<ClipModel>(context);
      },
      clipExporters());

  registry.addModel(
      "multimodal",
      {"captioner",
       "LLaVA-style captioner: the CLIP image encoder's feature tokens, a projector and a Llama decoder that writes "
       "the "
       "caption",
       [] {
         Section s = {
             imageWidth(),
             stringParam("image_encoder_from", "",
                         "A trained multimodal/clip run (or checkpoints/step-<N> folder) whose image encoder "
                         "starts the captioner; empty trains it from scratch"),
             boolParam("freeze_image_encoder", false, "Keep the image encoder as loaded (needs image_encoder_from)")};
         for (Param p : llm::llamaShapeParams()) s.push_back(p);
         return s;
       }(),
       [] {
         ModelCapabilities c;
         c.serving = engine::serving::kCaptioning;
         return c;
       }()},
      [](const engine::ModelContext& context) -> std::unique_ptr<engine::Model> {
        return std::make_unique<CaptionerModel>(context);
      });
}

}  // namespace reef::multimodal
