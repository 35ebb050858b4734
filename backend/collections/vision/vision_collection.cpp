#include "backend/collections/vision/vision_collection.h"

#include "backend/collections/vision/cnn.h"
#include "backend/collections/vision/image_classifier.h"
#include "backend/collections/vision/resnet.h"
#include "backend/collections/vision/vision_data.h"
#include "backend/collections/vision/vision_onnx.h"
#include "backend/collections/vision/vit.h"
#include "backend/engine/core/inference.h"
#include "cmake/build_options.h"

#if REEF_WITH_ONNX
#include "backend/export/formats/triton_repository.h"
#endif

namespace reef::vision {

using namespace protocol;

namespace {

Param labelSmoothing() {
  return floatParam("label_smoothing", 0.0, 0, 0.5, "Probability mass spread over the other classes in the loss");
}

template <typename Network>
engine::ModelFactory factory(std::function<std::shared_ptr<Network>(const Json&, const ImageShape&, int64_t)> make) {
  return [make](const engine::ModelContext& context) -> std::unique_ptr<engine::Model> {
    const Json model = context.spec.at("model");
    return std::make_unique<ImageClassifier>(
        context, [&](const ImageShape& shape, int64_t classes) { return make(model, shape, classes); });
  };
}

// Every vision model classifies images: the same views, serving mode and exports.
ModelCapabilities classifierCapabilities() {
  ModelCapabilities c;
  c.serving = engine::serving::kImageClassification;
  c.artifacts = {{"confusion_matrix", views::kConfusionMatrix}, {"sample_predictions", views::kImagePredictions}};
  return c;
}

std::map<std::string, engine::Exporter> classifierExporters() {
#if REEF_WITH_ONNX
  return {{"onnx", exportOnnx}, {"triton", exporting::tritonExporter(exportOnnx)}};
#else
  return {};
#endif
}

}  // namespace

void registerVisionCollection(engine::Registry& registry) {
  registry.addCollection(
      "vision", "Image classification on MNIST and Fashion-MNIST (28x28 grey images, 10 classes)",
      {
          choiceParam("dataset", "mnist", visionDatasetNames(), "Image dataset, prepared by scripts/prepare-data.sh"),
          intParam("val_size", 5000, 0, 50000, "Images held out from the end of the training file for validation"),
      });

  registry.addModel("vision",
                    {"cnn",
                     "Small CNN: two 3x3 convolutions with max-pooling, two fully connected layers",
                     {intParam("width", 32, 4, 512, "Channels of the first convolution (the second has twice as many)"),
                      intParam("hidden", 128, 8, 8192, "Units of the hidden fully connected layer"),
                      floatParam("dropout", 0.25, 0, 0.9, "Dropout before each fully connected layer"),
                      boolParam("batch_norm", false, "Batch normalisation after each convolution"), labelSmoothing()},
                     classifierCapabilities()},
                    factory<SmallCnn>([](const Json& m, const ImageShape& shape, int64_t classes) {
                      return std::make_shared<SmallCnn>(shape, classes, m["width"].get<int64_t>(),
                                                        m["hidden"].get<int64_t>(), m["dropout"].get<double>(),
                                                        m["batch_norm"].get<bool>());
                    }),
                    classifierExporters());

  registry.addModel("vision",
                    {"resnet",
                     "ResNet-style network: three stages of residual blocks with batch normalisation",
                     {intParam("width", 16, 4, 256, "Channels of the first stage (doubled at each later stage)"),
                      intParam("blocks", 2, 1, 16, "Residual blocks per stage"), labelSmoothing()},
                     classifierCapabilities()},
                    factory<ResNet>([](const Json& m, const ImageShape& shape, int64_t classes) {
                      return std::make_shared<ResNet>(shape, classes, m["width"].get<int64_t>(),
                                                      m["blocks"].get<int64_t>());
                    }),
                    classifierExporters());

  registry.addModel(
      "vision",
      {"vit",
       "Tiny Vision Transformer: patch embeddings, class token, pre-norm transformer blocks",
       {intParam("patch_size", 7, 1, 64, "Side of the square patches; must divide the image sides"),
        intParam("dim", 64, 8, 4096, "Embedding width"), intParam("depth", 4, 1, 64, "Transformer blocks"),
        intParam("heads", 4, 1, 64, "Attention heads; must divide dim"),
        floatParam("mlp_ratio", 2.0, 1, 8, "Hidden width of each block's MLP, as a multiple of dim"),
        floatParam("dropout", 0.1, 0, 0.9, "Dropout on embeddings, attention weights and residual branches"),
        labelSmoothing()},
       classifierCapabilities()},
      factory<VisionTransformer>([](const Json& m, const ImageShape& shape, int64_t classes) {
        return std::make_shared<VisionTransformer>(
            shape, classes, m["patch_size"].get<int64_t>(), m["dim"].get<int64_t>(), m["depth"].get<int64_t>(),
            m["heads"].get<int64_t>(), m["mlp_ratio"].get<double>(), m["dropout"].get<double>());
      }),
      classifierExporters());
}

}  // namespace reef::vision
