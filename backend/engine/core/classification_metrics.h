#pragma once
// Accuracy, per-class precision/recall/F1 and the confusion matrix, for any classifier.
#include "backend/protocol/json.h"

#include <cstdint>
#include <string>
#include <vector>

namespace reef::engine {

class ConfusionMatrix {
 public:
  explicit ConfusionMatrix(std::vector<std::string> classNames);

  void add(int64_t truth, int64_t predicted);
  int64_t count(int64_t truth, int64_t predicted) const;
  int64_t total() const { return total_; }
  size_t classes() const { return names_.size(); }

  double accuracy() const;
  // A class never predicted has precision 0; a class absent from the truth has recall 0.
  double precision(int64_t cls) const;
  double recall(int64_t cls) const;
  double f1(int64_t cls) const;
  double macroF1() const;

  // {"classes": [...], "matrix": [[...]] (rows: truth, columns: prediction), "per_class": [...]}
  Json toJson() const;
  std::string toCsv() const;

 private:
  std::vector<std::string> names_;
  std::vector<int64_t> counts_;
  int64_t total_ = 0;
};

}  // namespace reef::engine
