#include "backend/engine/core/classification_metrics.h"

#include <stdexcept>

namespace reef::engine {

ConfusionMatrix::ConfusionMatrix(std::vector<std::string> classNames)
    : names_(std::move(classNames)), counts_(names_.size() * names_.size(), 0) {}

void ConfusionMatrix::add(int64_t truth, int64_t predicted) {
  const auto n = static_cast<int64_t>(names_.size());
  if (truth < 0 || truth >= n || predicted < 0 || predicted >= n)
    throw std::out_of_range("confusion matrix: class index out of range (" + std::to_string(truth) + ", " +
                            std::to_string(predicted) + ") for " + std::to_string(n) + " classes");
  ++counts_[static_cast<size_t>(truth * n + predicted)];
  ++total_;
}

int64_t ConfusionMatrix::count(int64_t truth, int64_t predicted) const {
  return counts_[static_cast<size_t>(truth * static_cast<int64_t>(names_.size()) + predicted)];
}

double ConfusionMatrix::accuracy() const {
  if (total_ == 0) return 0.0;
  int64_t correct = 0;
  for (size_t c = 0; c < names_.size(); ++c) correct += count(c, c);
  return static_cast<double>(correct) / static_cast<double>(total_);
}

double ConfusionMatrix::precision(int64_t cls) const {
  int64_t predicted = 0;
  for (size_t t = 0; t < names_.size(); ++t) predicted += count(t, cls);
  return predicted ? static_cast<double>(count(cls, cls)) / static_cast<double>(predicted) : 0.0;
}

double ConfusionMatrix::recall(int64_t cls) const {
  int64_t actual = 0;
  for (size_t p = 0; p < names_.size(); ++p) actual += count(cls, p);
  return actual ? static_cast<double>(count(cls, cls)) / static_cast<double>(actual) : 0.0;
}

double ConfusionMatrix::f1(int64_t cls) const {
  const double p = precision(cls), r = recall(cls);
  return p + r > 0 ? 2 * p * r / (p + r) : 0.0;
}

double ConfusionMatrix::macroF1() const {
  if (names_.empty()) return 0.0;
  double sum = 0;
  for (size_t c = 0; c < names_.size(); ++c) sum += f1(c);
  return sum / static_cast<double>(names_.size());
}

Json ConfusionMatrix::toJson() const {
  Json j;
  j["classes"] = names_;
  Json matrix = Json::array();
  Json perClass = Json::array();
  for (size_t t = 0; t < names_.size(); ++t) {
    Json row = Json::array();
    int64_t support = 0;
    for (size_t p = 0; p < names_.size(); ++p) {
      row.push_back(count(t, p));
      support += count(t, p);
    }
    matrix.push_back(row);
    perClass.push_back({{"class", names_[t]},
                        {"precision", precision(t)},
                        {"recall", recall(t)},
                        {"f1", f1(t)},
                        {"support", support}});
  }
  j["matrix"] = matrix;
  j["per_class"] = perClass;
  j["accuracy"] = accuracy();
  j["macro_f1"] = macroF1();
  j["total"] = total_;
  return j;
}

std::string ConfusionMatrix::toCsv() const {
  auto quoted = [](const std::string& s) {
    std::string q = "\"";
    for (char c : s) q += (c == '"') ? std::string("\"\"") : std::string(1, c);
    return q + "\"";
  };
  std::string csv = "truth\\predicted";
  for (const auto& n : names_) csv += "," + quoted(n);
  csv += "\n";
  for (size_t t = 0; t < names_.size(); ++t) {
    csv += quoted(names_[t]);
    for (size_t p = 0; p < names_.size(); ++p) csv += "," + std::to_string(count(t, p));
    csv += "\n";
  }
  return csv;
}

}  // namespace reef::engine
