#include "backend/collections/asr/word_language_model.h"

#include "backend/protocol/audio/word_errors.h"

#include <cmath>
#include <fstream>
#include <stdexcept>

namespace reef::asr {

WordLanguageModel WordLanguageModel::fromFile(const std::filesystem::path& text, const AsrVocabulary& vocabulary) {
  std::ifstream in(text);
  if (!in) throw std::runtime_error("cannot read the language model text '" + text.string() + "'");
  std::vector<std::string> sentences;
  for (std::string line; std::getline(in, line);) {
    auto clean = vocabulary.normalise(line);
    if (!clean.empty()) sentences.push_back(std::move(clean));
  }
  if (sentences.empty()) throw std::runtime_error("the language model text '" + text.string() + "' has no sentence");
  return fromSentences(sentences);
}

WordLanguageModel WordLanguageModel::fromSentences(const std::vector<std::string>& sentences) {
  WordLanguageModel lm;
  for (const auto& s : sentences) {
    std::string previous = "<s>";
    auto words = protocol::audio::words(s);
    words.push_back("</s>");
    for (const auto& w : words) {
      lm.countWord(w);
      ++lm.bigrams_[previous][w];
      ++lm.contextTotals_[previous];
      previous = w;
    }
  }
  return lm;
}

void WordLanguageModel::countWord(const std::string& word) {
  ++unigrams_[word];
  ++tokens_;
  if (word != "</s>")
    for (size_t n = 1; n <= word.size(); ++n) prefixes_.insert(word.substr(0, n));
}

void WordLanguageModel::addLexicon(const std::filesystem::path& words, const AsrVocabulary& vocabulary) {
  std::ifstream in(words);
  if (!in) throw std::runtime_error("cannot read the lexicon '" + words.string() + "' (data.lm_lexicon)");
  for (std::string line; std::getline(in, line);) {
    const auto word = vocabulary.normalise(line);
    // A line that normalises to several words is a phrase, not a lexicon entry.
    if (!word.empty() && word.find(' ') == std::string::npos && !knows(word)) countWord(word);
  }
}

double WordLanguageModel::unigramLogProb(const std::string& word) const {
  const auto it = unigrams_.find(word);
  const double count = it == unigrams_.end() ? 0 : static_cast<double>(it->second);
  // Add-one over the known words plus one slot for all unknown ones.
  return std::log((count + 1) / (static_cast<double>(tokens_) + static_cast<double>(unigrams_.size()) + 1));
}

double WordLanguageModel::logProb(const std::string& previous, const std::string& word) const {
  const auto context = bigrams_.find(previous);
  if (context == bigrams_.end()) return unigramLogProb(word);
  const double total = static_cast<double>(contextTotals_.at(previous));
  const auto seen = context->second.find(word);
  const double count = seen == context->second.end() ? 0 : static_cast<double>(seen->second);
  // What discounting takes from the seen bigrams goes to the unigram distribution.
  const double backoff = discount_ * static_cast<double>(context->second.size()) / total;
  return std::log(std::max(count - discount_, 0.0) / total + backoff * std::exp(unigramLogProb(word)));
}

LexiconScorer::LexiconScorer(const WordLanguageModel& model, const AsrVocabulary& vocabulary, double weight,
                             double wordBonus, double unknownPenalty)
    : model_(model), weight_(weight), bonus_(wordBonus), unknownPenalty_(unknownPenalty) {
  for (int64_t id = 0; id < vocabulary.size(); ++id) labelText_.push_back(vocabulary.labelText(id));
}

double LexiconScorer::wordScore(const State& s) const {
  // An off-lexicon word was charged when it left the lexicon.
  return (s.offLexicon ? 0.0 : weight_ * model_.logProb(s.previous, s.partial)) + bonus_;
}

PrefixScorer::State LexiconScorer::extend(const State& state, int64_t label) const {
  State s = state;
  for (const char c : labelText_.at(static_cast<size_t>(label))) {
    if (c == ' ') {
      if (s.partial.empty()) continue;
      s.score += wordScore(s);
      s.previous = s.offLexicon ? std::string() : s.partial;  // an unknown word: no context after it
      s.partial.clear();
      s.offLexicon = false;
      continue;
    }
    s.partial += c;
    if (!s.offLexicon && !model_.beginsAWord(s.partial)) {
      s.offLexicon = true;
      s.score += weight_ * model_.unknownLogProb(s.previous) - unknownPenalty_;
    }
  }
  return s;
}

double LexiconScorer::finish(const State& state) const {
  double score = state.score;
  std::string previous = state.previous;
  if (!state.partial.empty()) {
    score += wordScore(state);
    previous = state.offLexicon ? std::string() : state.partial;
  }
  return score + weight_ * model_.logProb(previous, "</s>");
}

}  // namespace reef::asr
