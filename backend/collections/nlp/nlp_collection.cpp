#include "backend/collections/nlp/nlp_collection.h"

#include "backend/collections/nlp/masked_lm_model.h"
#include "backend/collections/nlp/punctuation_model.h"
#include "backend/collections/nlp/text_classifier.h"
#include "backend/collections/nlp/text_onnx.h"
#include "backend/engine/core/inference.h"
#include "cmake/build_options.h"

#if REEF_WITH_ONNX
#include "backend/export/formats/triton_repository.h"
#endif

namespace reef::nlp {

using namespace protocol;

Section encoderTrunkParams() {
  return {intParam("dim", 128, 8, 4096, "Embedding width"), intParam("depth", 2, 1, 64, "Transformer blocks"),
          intParam("heads", 4, 1, 64, "Attention heads; must divide dim"),
          floatParam("mlp_ratio", 2.0, 1, 8, "Hidden width of each block's MLP, as a multiple of dim"),
          floatParam("dropout", 0.1, 0, 0.9, "Dropout on embeddings, attention weights and residual branches")};
}

EncoderTrunkOptions encoderTrunkOptions(const Json& m, int64_t vocab, int64_t maxLength) {
  return {vocab,
          maxLength,
          m["dim"].get<int64_t>(),
          m["depth"].get<int64_t>(),
          m["heads"].get<int64_t>(),
          m["mlp_ratio"].get<double>(),
          m["dropout"].get<double>()};
}

namespace {

Param labelSmoothing() {
  return floatParam("label_smoothing", 0.0, 0, 0.5, "Probability mass spread over the other classes in the loss");
}

ModelCapabilities classifierCapabilities() {
  ModelCapabilities c;
  c.serving = engine::serving::kTextClassification;
  c.artifacts = {{"confusion_matrix", views::kConfusionMatrix}, {"text_predictions", views::kTextPredictions}};
  return c;
}

std::map<std::string, engine::Exporter> classifierExporters() {
#if REEF_WITH_ONNX
  return {{"onnx", exportOnnx}, {"triton", exporting::tritonExporter(exportOnnx)}};
#else
  return {};
#endif
}

ModelCapabilities punctuationCapabilities() {
  ModelCapabilities c;
  c.serving = engine::serving::kPunctuation;
  c.artifacts = {{"punctuation_samples", views::kRestoredText}};
  return c;
}

}  // namespace

void registerNlpCollection(engine::Registry& registry) {
  registry.addCollection(
      "nlp",
      "Text classification on labelled texts (JSON lines or TSV), punctuation/capitalisation restoration on prose, and "
      "masked-language-model pretraining of their encoder on unlabelled text, with a SentencePiece tokenizer",
      {
          stringParam("dataset", "text/fortunes.jsonl",
                      "JSON-lines or .tsv (text<TAB>label) file (punctuation: JSON lines or a text file, one passage a "
                      "line; mlm: several of those, separated by commas): absolute, or relative to the data root"),
          stringParam("text_field", "text", "JSON field holding the text"),
          stringParam("label_field", "category", "JSON field holding the label (classifiers)"),
          stringParam("classes", "",
                      "Comma-separated labels to classify (the rest of the file is skipped); empty: every label with "
                      "at least min_count examples (then the model needs its data to be built)"),
          intParam("min_count", 100, 10, 1 << 30, "Examples a label needs to be a class when data.classes is empty"),
          stringParam("tokenizer", "nlp/fortunes/tokenizer.model",
                      "SentencePiece model (reef tokenizer train): absolute, or relative to the data root"),
          intParam("max_length", 128, 4, 8192, "Tokens of a text the model reads (the rest is cut)"),
      });

  registry.addModel(
      "nlp",
      {"bow",
       "Baseline: logistic regression on the bag of words (each token's share of the text)",
       {labelSmoothing()},
       classifierCapabilities()},
      [](const engine::ModelContext& context) -> std::unique_ptr<engine::Model> {
        return std::make_unique<TextClassifier>(context, [](int64_t vocab, int64_t classes, int64_t pad, int64_t) {
          return std::make_shared<BagOfWords>(vocab, classes, pad);
        });
      },
      classifierExporters());
  registry.addModel(
      "nlp",
      {"encoder",
       "BERT-style transformer encoder trained from scratch: token and position embeddings, pre-norm blocks, mean "
       "pooling",
       [] {
         Section s = encoderTrunkParams();
         s.push_back(labelSmoothing());
         return s;
       }(),
       classifierCapabilities()},
      [](const engine::ModelContext& context) -> std::unique_ptr<engine::Model> {
        const Json m = context.spec.at("model");
        return std::make_unique<TextClassifier>(
            context, [m](int64_t vocab, int64_t classes, int64_t pad, int64_t maxLength) {
              return std::make_shared<TextEncoder>(encoderTrunkOptions(m, vocab, maxLength), classes, pad);
            });
      },
      classifierExporters());
  registry.addModel(
      "nlp",
      {"punctuation",
       "Punctuation and capitalisation restoration: the transformer trunk with a mark head and a capital head per word",
       [] {
         Section s = encoderTrunkParams();
         s.push_back(withSpecial(
             oddOnly(intParam("context_kernel", 0, 0, 31,
                              "Pieces seen by a convolution between the trunk and the heads (the example uses 9)")),
             "none"));
         return s;
       }(),
       punctuationCapabilities()},
      [](const engine::ModelContext& context) -> std::unique_ptr<engine::Model> {
        return std::make_unique<PunctuationModel>(context);
      });
  registry.addModel(
      "nlp",
      {"mlm",
       "Masked-language-model pretraining of the transformer trunk on unlabelled text (whole-word masking); the run "
       "starts the encoder classifier or the punctuation model through trainer.init_from",
       [] {
         Section s = encoderTrunkParams();
         s.push_back(floatParam("mask_probability", 0.15, 0.01, 0.5,
                                "Share of words masked; every piece of a chosen word is predicted"));
         s.push_back(floatParam("plain_fraction", 0.5, 0, 1,
                                "Share of passages shown lower-cased without punctuation, as the punctuation model "
                                "reads its input"));
         return s;
       }(),
       {}},
      [](const engine::ModelContext& context) -> std::unique_ptr<engine::Model> {
        return std::make_unique<MaskedLanguageModel>(context);
      });
}

}  // namespace reef::nlp
