#include "backend/collections/tts/tts_model.h"

#include "backend/collections/asr/asr_collection.h"
#include "backend/collections/nlp/nlp_files.h"
#include "backend/collections/tts/tts_evaluation.h"

#include <stdexcept>

namespace reef::tts {

TtsModel::TtsModel(const engine::ModelContext& context)
    : context_(context),
      melOptions_(asr::melOptionsFromSpec(context.spec.at("data"))),
      vocabulary_(std::make_shared<asr::AsrVocabulary>(
          asr::AsrVocabulary::characters(context.spec.at("model").at("alphabet").get<std::string>()))),
      vocoder_(melOptions_, context.spec.at("model").at("griffin_lim_iterations").get<int>()),
      judgedSamples_(context.spec.at("model").at("judged_samples").get<int64_t>()) {
  const Json& m = context.spec.at("model");
  FastPitchOptions o;
  o.symbols = vocabulary_->size();
  o.mels = melOptions_.nMels;
  o.dim = m.at("dim").get<int64_t>();
  o.encoderLayers = m.at("encoder_layers").get<int64_t>();
  o.decoderLayers = m.at("decoder_layers").get<int64_t>();
  o.heads = m.at("heads").get<int64_t>();
  o.convHidden = m.at("conv_hidden").get<int64_t>();
  o.kernel = m.at("kernel").get<int64_t>() | 1;
  o.dropout = m.at("dropout").get<double>();
  network_ = FastPitch(o);
}

torch::Device TtsModel::device() const { return network_->parameters().front().device(); }

void TtsModel::prepare() {
  if (splits_) return;
  const Json& d = context_.spec.at("data");
  const std::string aligner = d.at("aligner").get<std::string>();
  if (aligner.empty())
    throw std::runtime_error(
        "data.aligner is empty: name a trained asr run over characters (for instance one of "
        "resources/examples/asr/quartznet_chars.yaml); its CTC alignment gives the durations");
  aligner_ = asr::loadTrainedAsr(nlp::underDataRoot(context_.dataRoot, aligner), context_.dataRoot, "data.aligner");
  if (aligner_->vocabulary().isSubword() || aligner_->vocabulary().alphabet() != vocabulary_->alphabet())
    throw std::runtime_error("data.aligner: the asr run '" + aligner +
                             "' must write the characters of model.alphabet ('" +
                             context_.spec.at("model").at("alphabet").get<std::string>() + "')");
  const auto& a = aligner_->features().options();
  if (a.sampleRate != melOptions_.sampleRate || a.nFft != melOptions_.nFft || a.winLength != melOptions_.winLength ||
      a.hop != melOptions_.hop || a.nMels != melOptions_.nMels)
    throw std::runtime_error(
        "data.aligner: the asr run's spectrogram (data.sample_rate, n_fft, win_length, hop, n_mels) "
        "must equal this spec's");
  aligner_->to(device());
  auto manifest = [&](const char* key) { return nlp::underDataRoot(context_.dataRoot, d.at(key).get<std::string>()); };
  splits_ =
      prepareTtsSplits(manifest("train_manifest"), manifest("val_manifest"), manifest("test_manifest"), *aligner_);
  if (splits_->train->size() == 0) throw std::runtime_error("data.train_manifest: no utterance could be aligned");
}

std::shared_ptr<engine::Dataset> TtsModel::dataset(engine::Split split) {
  prepare();
  return split == engine::Split::Train ? splits_->train : split == engine::Split::Val ? splits_->val : splits_->test;
}

TtsModel::Losses TtsModel::losses(const engine::Batch& batch) {
  const auto out =
      network_->forward(batch.at("text"), batch.at("text_length"), batch.at("durations"), batch.at("pitch"));
  const auto& target = batch.at("mel");
  const int64_t frames = std::min(out.mel.size(1), target.size(1));
  const auto frameMask =
      (torch::arange(frames, batch.at("mel_length").options()).unsqueeze(0) < batch.at("mel_length").unsqueeze(1))
          .unsqueeze(2)
          .to(out.mel.dtype());
  const auto textMask = (batch.at("text") > 0).to(out.mel.dtype());
  Losses l;
  l.mel = ((out.mel.narrow(1, 0, frames) - target.narrow(1, 0, frames)).abs() * frameMask).sum() /
          (frameMask.sum() * static_cast<double>(target.size(2)));
  const auto logDuration = torch::log1p(batch.at("durations").to(out.mel.dtype()));
  l.duration = ((out.logDuration - logDuration).pow(2) * textMask).sum() / textMask.sum();
  l.pitch = ((out.pitch - batch.at("pitch")).pow(2) * textMask).sum() / textMask.sum();
  return l;
}

torch::Tensor TtsModel::trainingStep(const engine::Batch& batch) { return losses(batch).total(); }

torch::Tensor TtsModel::melOf(const std::string& text, double pace) {
  const auto ids = vocabulary_->encode(text);
  if (ids.empty()) {
    std::string letters;
    for (const auto& c : vocabulary_->alphabet()) letters += c;
    throw engine::NothingToSay("nothing to say in '" + text + "': the model speaks only the characters '" + letters +
                               "' (model.alphabet): spell numbers and symbols out");
  }
  torch::NoGradGuard noGrad;
  const bool wasTraining = network_->is_training();
  network_->eval();
  const auto input = torch::tensor(ids, torch::kInt64).unsqueeze(0).to(device());
  const auto length = torch::tensor({static_cast<int64_t>(ids.size())}, torch::kInt64).to(device());
  const auto out = network_->forward(input, length, {}, {}, pace);
  network_->train(wasTraining);
  return out.mel[0].narrow(0, 0, out.frames[0].item<int64_t>()).cpu();
}

std::vector<float> TtsModel::synthesize(const std::string& text, double pace) {
  const auto wave = vocoder_(melOf(text, pace)).contiguous();
  // Griffin-Lim's output level follows the mel's; keep it below clipping.
  const float peak = std::max(1e-6f, wave.abs().max().item<float>());
  const auto scaled = (wave * std::min(1.0f, 0.9f / peak)).contiguous();
  return std::vector<float>(scaled.data_ptr<float>(), scaled.data_ptr<float>() + scaled.numel());
}

std::unique_ptr<engine::Evaluation> TtsModel::evaluation(engine::Split split) {
  prepare();
  const auto data = std::static_pointer_cast<TtsDataset>(dataset(split));
  return std::make_unique<TtsEvaluation>(*this, data, split == engine::Split::Test ? data->size() : judgedSamples_);
}

}  // namespace reef::tts
