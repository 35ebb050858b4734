#include "backend/collections/asr/asr_model.h"

#include "backend/collections/asr/asr_evaluation.h"
#include "backend/collections/asr/ctc_alignment.h"
#include "backend/collections/nlp/nlp_files.h"

#include <iostream>
#include <stdexcept>

namespace fs = std::filesystem;

namespace reef::asr {

protocol::audio::MelOptions melOptionsFromSpec(const Json& d) {
  protocol::audio::MelOptions o;
  o.sampleRate = d.at("sample_rate").get<int>();
  o.nFft = d.at("n_fft").get<int>();
  o.winLength = d.at("win_length").get<int>();
  o.hop = d.at("hop").get<int>();
  o.nMels = d.at("n_mels").get<int>();
  o.fMax = o.sampleRate / 2.0;
  protocol::audio::validate(o);
  return o;
}

AsrModel::AsrModel(const engine::ModelContext& context, const NetworkBuilder& build)
    : context_(context), features_(melOptionsFromSpec(context.spec.at("data"))) {
  const Json& d = context.spec.at("data");
  const Json& m = context.spec.at("model");
  if (m.at("labels").get<std::string>() == "subwords") {
    tokenizerPath_ = nlp::underDataRoot(context.dataRoot, d.at("tokenizer").get<std::string>());
    vocabulary_ = std::make_shared<AsrVocabulary>(AsrVocabulary::subwords(tokenizerPath_));
  } else {
    vocabulary_ = std::make_shared<AsrVocabulary>(AsrVocabulary::characters(m.at("alphabet").get<std::string>()));
  }
  augment_.freqMasks = m.at("freq_masks").get<int>();
  augment_.freqWidth = m.at("freq_width").get<int>();
  augment_.timeMasks = m.at("time_masks").get<int>();
  augment_.timeWidth = m.at("time_width").get<double>();
  augment_.freqWarp = m.at("freq_warp").get<double>();
  const std::string decoder = m.at("decoder").get<std::string>();
  beam_ = decoder != "greedy";
  beamOptions_.width = m.at("beam_width").get<int>();
  if (decoder == "beam_lm") {
    lmText_ = nlp::underDataRoot(context.dataRoot, d.at("lm_text").get<std::string>());
    languageModel_ = std::make_unique<WordLanguageModel>(WordLanguageModel::fromFile(lmText_, *vocabulary_));
    if (const auto lexicon = d.at("lm_lexicon").get<std::string>(); !lexicon.empty()) {
      lmLexicon_ = nlp::underDataRoot(context.dataRoot, lexicon);
      languageModel_->addLexicon(lmLexicon_, *vocabulary_);
    }
    scorer_ = std::make_unique<LexiconScorer>(*languageModel_, *vocabulary_, m.at("lm_weight").get<double>(),
                                              m.at("word_bonus").get<double>(), m.at("unknown_penalty").get<double>());
  }
  maxSeconds_ = d.at("max_duration").get<double>();
  network_ = build(features_.options().nMels, vocabulary_->size());
}

torch::Device AsrModel::device() const {
  const auto params = network_->parameters();
  return params.empty() ? torch::Device(torch::kCPU) : params.front().device();
}

std::shared_ptr<SpeechDataset> AsrModel::manifestDataset(const fs::path& manifest) const {
  return std::make_shared<SpeechDataset>(protocol::audio::readManifest(manifest), vocabulary_, sampleRate(),
                                         maxSeconds_);
}

std::shared_ptr<engine::Dataset> AsrModel::dataset(engine::Split split) {
  auto& slot = datasets_[split];
  if (!slot) {
    const std::string key = std::string(engine::splitName(split)) + "_manifest";
    slot = manifestDataset(nlp::underDataRoot(context_.dataRoot, context_.spec.at("data").at(key).get<std::string>()));
    if (slot->size() == 0)
      throw std::runtime_error("data." + key + ": no utterance of at most data.max_duration (" +
                               std::to_string(maxSeconds_) + " s) in the manifest");
    if (slot->skipped() > 0)
      std::cerr << "asr: data." << key << ": " << slot->skipped() << " utterances longer than data.max_duration ("
                << maxSeconds_ << " s) left out\n";
  }
  return slot;
}

std::pair<torch::Tensor, torch::Tensor> AsrModel::logProbs(const torch::Tensor& audio, const torch::Tensor& lengths) {
  auto [features, frames] = features_(audio, lengths);
  if (network_->is_training()) specAugment(features, frames, augment_);
  auto [logits, outFrames] = network_->forward(features, frames);
  return {torch::log_softmax(logits.to(torch::kFloat32), -1), outFrames};
}

torch::Tensor AsrModel::trainingStep(const engine::Batch& batch) {
  auto [lp, frames] = logProbs(batch.at("audio"), batch.at("audio_length"));
  // Mean over the batch of each utterance's loss divided by its label count (NeMo's default);
  // zero_infinity: an utterance too fast for the output frame rate contributes nothing rather
  // than an infinite loss.
  return torch::ctc_loss(lp.transpose(0, 1), batch.at("targets"), frames, batch.at("target_length"), 0,
                         at::Reduction::Mean, /*zero_infinity=*/true);
}

std::string AsrModel::decode(const torch::Tensor& lp, int64_t frames) const {
  return vocabulary_->decode(beam_ ? ctcBeamSearch(lp, frames, beamOptions_, scorer_.get()) : ctcGreedy(lp, frames));
}

std::string AsrModel::decodeGreedy(const torch::Tensor& lp, int64_t frames) const {
  return vocabulary_->decode(ctcGreedy(lp, frames));
}

std::pair<torch::Tensor, int64_t> AsrModel::utteranceLogProbs(const std::vector<float>& samples) {
  torch::NoGradGuard noGrad;
  const bool wasTraining = network_->is_training();
  network_->eval();
  const auto audio = torch::tensor(samples).unsqueeze(0).to(device());
  const auto lengths = torch::tensor({static_cast<int64_t>(samples.size())}, torch::kInt64).to(device());
  auto [lp, frames] = logProbs(audio, lengths);
  network_->train(wasTraining);
  return {lp[0].cpu(), frames[0].item<int64_t>()};
}

std::string AsrModel::transcribe(const std::vector<float>& samples, bool greedy) {
  const auto [lp, frames] = utteranceLogProbs(samples);
  return greedy ? decodeGreedy(lp, frames) : decode(lp, frames);
}

engine::Transcription AsrModel::transcribeTimed(const std::vector<float>& samples) {
  const auto [lp, frames] = utteranceLogProbs(samples);
  engine::Transcription out{decode(lp, frames), {}};
  out.words = wordTimes(lp, frames, out.text);
  return out;
}

// A word starts after a space label (characters) or at a label whose text starts with one
// (SentencePiece's word-initial pieces).
std::vector<engine::TimedWord> AsrModel::wordTimes(const torch::Tensor& lp, int64_t frames,
                                                   const std::string& text) const {
  const std::vector<int64_t> labels = vocabulary_->encode(text);
  if (labels.empty()) return {};
  std::vector<LabelSpan> spans;
  try {
    spans = ctcLabelSpans(lp, frames, labels);
  } catch (const std::invalid_argument&) {
    return {};  // a beam search's text can need more frames than there are
  }
  const double frameSeconds =
      static_cast<double>(features_.options().hop * subsampling()) / static_cast<double>(sampleRate());
  std::vector<engine::TimedWord> words;
  bool startsWord = true;
  for (size_t i = 0; i < labels.size(); ++i) {
    const std::string piece = vocabulary_->labelText(labels[i]);
    const bool spaced = !piece.empty() && piece[0] == ' ';
    const std::string body = spaced ? piece.substr(1) : piece;
    if (body.empty()) {
      startsWord = true;
      continue;
    }
    const double start = static_cast<double>(spans[i].first) * frameSeconds,
                 end = static_cast<double>(spans[i].last + 1) * frameSeconds;
    if (startsWord || spaced || words.empty())
      words.push_back({body, start, end});
    else
      words.back().word += body, words.back().end = end;
    startsWord = false;
  }
  return words;
}

std::unique_ptr<engine::Evaluation> AsrModel::evaluation(engine::Split split) {
  return std::make_unique<AsrEvaluation>(*this, std::static_pointer_cast<SpeechDataset>(dataset(split)));
}

std::optional<std::vector<fs::path>> AsrModel::inferenceAssets() const {
  std::vector<fs::path> assets;
  if (vocabulary_->isSubword()) assets.push_back(fs::relative(tokenizerPath_, context_.dataRoot));
  for (const auto& file : {lmText_, lmLexicon_})
    if (!file.empty()) assets.push_back(fs::relative(file, context_.dataRoot));
  return assets;
}

}  // namespace reef::asr
