#include "backend/collections/tts/tts_collection.h"

#include "backend/collections/asr/asr_collection.h"
#include "backend/collections/tts/tts_model.h"
#include "backend/engine/core/inference.h"

namespace reef::tts {

using namespace protocol;

void registerTtsCollection(engine::Registry& registry) {
  Section data{
      stringParam("train_manifest", "speech/tts/train.jsonl",
                  "Training manifest of one voice (JSON lines: audio_filepath, duration, text)"),
      stringParam("val_manifest", "speech/tts/val.jsonl", "Validation manifest (same voice, other sentences)"),
      stringParam("test_manifest", "speech/tts/test.jsonl", "Test manifest (same voice, other sentences)"),
      stringParam("aligner", "",
                  "A trained asr run over characters (directory, absolute or under the data root): its CTC alignment "
                  "gives the durations, and it transcribes synthesized speech to measure intelligibility"),
  };
  for (auto& p : asr::spectrogramParams()) data.push_back(p);
  registry.addCollection(
      "tts", "Speech synthesis from text on one voice's NeMo-style manifest, with a Griffin-Lim vocoder", data);
  registry.addModel(
      "tts",
      {"fastpitch",
       "FastPitch: transformer encoder over characters, duration and pitch predictors, length regulator, transformer "
       "decoder to log-mel; Griffin-Lim to audio",
       {
           stringParam("alphabet", " abcdefghijklmnopqrstuvwxyz'",
                       "Characters the model reads (the aligner's alphabet)"),
           intParam("dim", 192, 16, 2048, "Model width (a multiple of 2 * heads)"),
           intParam("encoder_layers", 4, 1, 32, "Transformer blocks over the characters"),
           intParam("decoder_layers", 4, 1, 32, "Transformer blocks over the frames"),
           intParam("heads", 2, 1, 32, "Attention heads"),
           intParam("conv_hidden", 768, 16, 8192, "Hidden channels of each block's convolutional feed-forward"),
           oddOnly(intParam("kernel", 3, 1, 31, "Kernel of the feed-forward and predictor convolutions")),
           floatParam("dropout", 0.1, 0, 0.9, "Dropout in every block and predictor"),
           intParam("griffin_lim_iterations", 32, 1, 1000, "Griffin-Lim iterations of the vocoder"),
           intParam(
               "judged_samples", 20, 0, 100000,
               "Validation sentences synthesized and transcribed for val/intelligibility_wer (the test split: all)"),
       },
       ModelCapabilities{{}, engine::serving::kSpeech, {{"tts_samples", views::kSynthesizedSpeech}}, {}, "test"}},
      [](const engine::ModelContext& context) -> std::unique_ptr<engine::Model> {
        return std::make_unique<TtsModel>(context);
      });
}

}  // namespace reef::tts
