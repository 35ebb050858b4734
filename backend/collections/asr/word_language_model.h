#pragma once
// A word bigram language model for CTC beam search (NeMo pairs its CTC models with KenLM n-grams
// the same way): counts from text, interpolated absolute discounting (Ney), add-one unigrams with
// room for unknown words. A lexicon (a word list such as wamerican) widens the vocabulary beyond
// the text: its words count as seen once, so the beam can spell them. Its scorer adds
// alpha * log P(word | previous) + beta at each word end, and charges a word that leaves the
// lexicon once, as soon as it does, so that misspellings fall out of the beam early.
#include "backend/collections/asr/asr_vocabulary.h"
#include "backend/collections/asr/ctc_decoding.h"

#include <filesystem>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace reef::asr {

class WordLanguageModel {
 public:
  // Sentences, one a line, normalised by `vocabulary` (so that the words are what the model spells).
  static WordLanguageModel fromFile(const std::filesystem::path& text, const AsrVocabulary& vocabulary);
  static WordLanguageModel fromSentences(const std::vector<std::string>& sentences);
  // Words, one a line, normalised by `vocabulary`; those not yet known are counted once.
  void addLexicon(const std::filesystem::path& words, const AsrVocabulary& vocabulary);

  // Natural log of P(word | previous); "<s>" starts a sentence, "</s>" ends one.
  double logProb(const std::string& previous, const std::string& word) const;
  // Of a word never seen, after `previous`: the one slot all unknown words share, backed off like
  // any word the context has not seen, so that it never beats a lexicon word there.
  double unknownLogProb(const std::string& previous) const { return logProb(previous, ""); }
  bool knows(const std::string& word) const { return unigrams_.count(word) > 0; }
  bool beginsAWord(const std::string& partial) const { return prefixes_.count(partial) > 0; }
  size_t words() const { return unigrams_.size(); }

 private:
  double unigramLogProb(const std::string& word) const;
  void countWord(const std::string& word);
  std::unordered_map<std::string, int64_t> unigrams_;
  std::unordered_map<std::string, std::unordered_map<std::string, int64_t>> bigrams_;
  std::unordered_map<std::string, int64_t> contextTotals_;
  std::unordered_set<std::string> prefixes_;
  int64_t tokens_ = 0;
  double discount_ = 0.75;
};

class LexiconScorer : public PrefixScorer {
 public:
  // weight: alpha; wordBonus: beta, per word (against the language model's preference for fewer);
  // unknownPenalty: taken from each word outside the lexicon, beyond alpha * its probability.
  LexiconScorer(const WordLanguageModel& model, const AsrVocabulary& vocabulary, double weight, double wordBonus,
                double unknownPenalty = 0);
  State extend(const State& state, int64_t label) const override;
  double finish(const State& state) const override;

 private:
  double wordScore(const State& state) const;  // of state.partial after state.previous
  const WordLanguageModel& model_;
  std::vector<std::string> labelText_;
  double weight_, bonus_, unknownPenalty_;
};

}  // namespace reef::asr
