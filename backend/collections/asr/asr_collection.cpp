#include "backend/collections/asr/asr_collection.h"

#include "backend/collections/asr/asr_model.h"
#include "backend/collections/asr/asr_onnx.h"
#include "backend/collections/asr/conformer.h"
#include "backend/collections/asr/quartznet.h"
#include "backend/collections/common/run_weights.h"
#include "backend/engine/core/inference.h"
#include "backend/engine/core/tensor_io.h"
#include "backend/protocol/spec.h"
#include "cmake/build_options.h"

#if REEF_WITH_ONNX
#include "backend/export/formats/triton_repository.h"
#endif

#include <stdexcept>

namespace reef::asr {

using namespace protocol;

namespace {

Section commonModelParams() {
  return {
      choiceParam(
          "labels", "characters", {"characters", "subwords"},
          "What the model writes: the characters of model.alphabet, or the SentencePiece pieces of data.tokenizer"),
      stringParam("alphabet", " abcdefghijklmnopqrstuvwxyz'",
                  "Characters the model writes (labels: characters); transcripts are lower-cased and any other "
                  "character becomes a space"),
      intParam("freq_masks", 2, 0, 10, "SpecAugment: frequency masks per training utterance"),
      intParam("freq_width", 15, 0, 80, "SpecAugment: widest frequency mask, in mel channels"),
      intParam("time_masks", 2, 0, 20, "SpecAugment: time masks per training utterance"),
      floatParam("time_width", 0.05, 0, 0.5, "SpecAugment: widest time mask, as a share of the utterance"),
      floatParam("freq_warp", 0.1, 0, 0.3,
                 "Vocal tract length perturbation: mel axis stretched by up to this factor either way in training"),
      choiceParam("decoder", "greedy", {"greedy", "beam", "beam_lm"},
                  "CTC decoding: best label per frame; prefix beam search; or beam search with the word bigram "
                  "language model of data.lm_text"),
      intParam("beam_width", 8, 1, 256, "Prefixes kept by the beam search"),
      floatParam("lm_weight", 0.5, 0, 10, "beam_lm: weight of the language model's log-probability"),
      floatParam("word_bonus", 1.0, -20, 20,
                 "beam_lm: score added per word (balances the language model's preference for fewer)"),
      floatParam("unknown_penalty", 0.0, 0, 100,
                 "beam_lm: score taken from a word the language model and its lexicon do not know, beyond its "
                 "unknown-word probability (with a large lexicon, most such words are misspellings)"),
      floatParam("dropout", 0.1, 0, 0.9, "Dropout inside the network"),
  };
}

Section concat(Section a, const Section& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

// The collection's data section: manifests, decoding text, and the spectrogram.
Section dataParams() {
  return concat(
      {stringParam("train_manifest", "speech/asr/train.jsonl",
                   "Training manifest (JSON lines: audio_filepath, duration, text)"),
       stringParam("val_manifest", "speech/asr/val.jsonl",
                   "Validation manifest (the example's: voices unseen in training)"),
       stringParam("test_manifest", "speech/asr/test.jsonl", "Test manifest (the example's: other unseen voices)"),
       stringParam("tokenizer", "speech/asr/tokenizer.model", "SentencePiece model for model.labels: subwords"),
       stringParam("lm_text", "speech/asr/train_text.txt",
                   "Sentences (one a line) the word language model of model.decoder: beam_lm is counted from"),
       stringParam("lm_lexicon", "",
                   "Words (one a line) the language model knows beyond lm_text's, each as if seen once; empty: "
                   "none"),
       floatParam("max_duration", 16.0, 0.5, 600, "Longer utterances are left out of the datasets (seconds)")},
      spectrogramParams());
}

// A run trained before a key existed has a spec without it; the key's default is what it ran with.
void fillDefaults(Json& section, const Section& params) {
  for (const auto& p : params)
    if (!section.contains(p.key)) section[p.key] = p.defaultValue;
}

ModelCapabilities recognizerCapabilities() {
  ModelCapabilities c;
  c.serving = engine::serving::kTranscription;
  c.artifacts = {{"asr_predictions", views::kTranscriptions}};
  return c;
}

// Both acoustic networks are one graph from features to log-probabilities.
std::map<std::string, engine::Exporter> acousticExporters() {
#if REEF_WITH_ONNX
  return {{"onnx", exportOnnx}, {"triton", exporting::tritonExporter(exportOnnx)}};
#else
  return {};
#endif
}

}  // namespace

Section spectrogramParams() {
  return {
      intParam("sample_rate", 16000, 4000, 48000, "Audio is resampled to this rate (Hz)"),
      intParam("n_fft", 512, 16, 8192, "FFT size of the spectrogram (a power of two)"),
      intParam("win_length", 400, 16, 8192, "Hann window length in samples (<= n_fft)"),
      intParam("hop", 160, 1, 4096, "Samples between spectrogram frames"),
      intParam("n_mels", 80, 8, 256, "Mel channels"),
  };
}

std::unique_ptr<AsrModel> buildAsrModel(const engine::ModelContext& context) {
  const Json m = context.spec.at("model");
  if (m.at("arch") == "conformer")
    return std::make_unique<AsrModel>(context, [m](int64_t mels, int64_t labels) {
      ConformerOptions o;
      o.mels = mels;
      o.labels = labels;
      o.dim = m["dim"].get<int64_t>();
      o.layers = m["layers"].get<int64_t>();
      o.heads = m["heads"].get<int64_t>();
      o.ffMultiplier = m["ff_multiplier"].get<int64_t>();
      o.convKernel = m["conv_kernel"].get<int64_t>() | 1;
      o.subsampling = m["subsampling"].get<int64_t>();
      o.dropout = m["dropout"].get<double>();
      return Conformer(o).ptr();
    });
  return std::make_unique<AsrModel>(context, [m](int64_t mels, int64_t labels) {
    QuartzNetOptions o;
    o.mels = mels;
    o.labels = labels;
    o.channels = m["channels"].get<int64_t>();
    o.blocks = m["blocks"].get<int64_t>();
    o.repeat = m["repeat"].get<int64_t>();
    o.kernel = m["kernel"].get<int64_t>();
    o.kernelGrowth = m["kernel_growth"].get<int64_t>();
    o.epilogue = m["epilogue"].get<int64_t>();
    o.dropout = m["dropout"].get<double>();
    return QuartzNet(o).ptr();
  });
}

std::unique_ptr<AsrModel> loadTrainedAsr(const std::filesystem::path& run, const std::filesystem::path& dataRoot,
                                         const std::string& key) {
  const auto weights = collections::trainedWeights(run, key);
  // The weights' run directory: <run>/checkpoints/step-N/model.safetensors.
  const auto runDir = weights.parent_path().parent_path().parent_path();
  Json spec = protocol::loadSpecFile(runDir / "spec.yaml");
  if (!spec.contains("model") || spec["model"].value("collection", "") != "asr")
    throw std::runtime_error(key + ": '" + run.string() + "' is not an asr run");
  fillDefaults(spec["model"], commonModelParams());
  fillDefaults(spec["data"], dataParams());
  auto model = buildAsrModel({spec, dataRoot, nullptr});
  engine::loadModuleState(model->module(), engine::loadTensors(weights), weights.string());
  model->module().eval();
  return model;
}

void registerAsrCollection(engine::Registry& registry) {
  registry.addCollection(
      "asr",
      "Speech recognition with CTC on NeMo-style manifests (16 kHz speech from scripts/prepare-data.sh), scored in "
      "WER and CER",
      dataParams());

  registry.addModel(
      "asr",
      {"quartznet",
       "QuartzNet: 1-D time-channel separable convolutions with residual blocks, CTC over characters or sub-words",
       [] {
         Section s = commonModelParams();
         s.push_back(intParam("channels", 256, 16, 2048, "Channels of every block"));
         s.push_back(intParam("blocks", 5, 1, 20, "Residual blocks"));
         s.push_back(intParam("repeat", 2, 1, 10, "Separable convolutions per block"));
         s.push_back(oddOnly(intParam("kernel", 11, 3, 129, "Kernel width of the first block")));
         s.push_back(intParam("kernel_growth", 4, 0, 32, "How much wider each next block's kernel is"));
         s.push_back(intParam("epilogue", 512, 16, 4096, "Channels of the pointwise layer before the labels"));
         return s;
       }(),
       recognizerCapabilities()},
      [](const engine::ModelContext& context) -> std::unique_ptr<engine::Model> { return buildAsrModel(context); },
      acousticExporters());
  registry.addModel(
      "asr",
      {"conformer", "Conformer-CTC: convolutional subsampling, then self-attention and convolution modules per block",
       [] {
         Section s = commonModelParams();
         s.push_back(intParam("dim", 144, 16, 2048, "Model width (a multiple of 2 * heads)"));
         s.push_back(intParam("layers", 4, 1, 32, "Conformer blocks"));
         s.push_back(intParam("heads", 4, 1, 32, "Attention heads"));
         s.push_back(
             intParam("ff_multiplier", 4, 1, 8, "Hidden width of the feed-forward modules, as a multiple of dim"));
         s.push_back(oddOnly(intParam("conv_kernel", 15, 3, 63, "Depthwise convolution kernel")));
         s.push_back(intParam("subsampling", 2, 2, 4, "Time subsampling: 2 or 4"));
         return s;
       }(),
       recognizerCapabilities()},
      [](const engine::ModelContext& context) -> std::unique_ptr<engine::Model> { return buildAsrModel(context); },
      acousticExporters());
}

}  // namespace reef::asr
