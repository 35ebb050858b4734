#pragma once
// Word and character error rates: the Levenshtein alignment of a hypothesis against its
// reference, kept as a list of operations so that the studio can mark each error where it is.
#include <cstdint>
#include <string>
#include <vector>

namespace reef::protocol::audio {

enum class EditOp { Correct, Substitution, Insertion, Deletion };

struct AlignedToken {
  EditOp op;
  std::string reference;   // empty for an insertion
  std::string hypothesis;  // empty for a deletion
};

struct ErrorCounts {
  int64_t substitutions = 0, insertions = 0, deletions = 0, referenceLength = 0;
  int64_t errors() const { return substitutions + insertions + deletions; }
  // errors / reference length; 0 for an empty reference with an empty hypothesis, 1 per inserted
  // token otherwise (as the usual tools count).
  double rate() const;
  ErrorCounts& operator+=(const ErrorCounts& other);
};

// Minimum-edit alignment; among alignments with as few edits, substitutions pair the most
// similar words.
std::vector<AlignedToken> align(const std::vector<std::string>& reference, const std::vector<std::string>& hypothesis);
ErrorCounts countErrors(const std::vector<AlignedToken>& alignment);

std::vector<std::string> words(const std::string& text);       // split on whitespace
std::vector<std::string> characters(const std::string& text);  // UTF-8 code points, spaces included
ErrorCounts wordErrors(const std::string& reference, const std::string& hypothesis);
ErrorCounts characterErrors(const std::string& reference, const std::string& hypothesis);

}  // namespace reef::protocol::audio
