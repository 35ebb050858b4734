#include "ui/audio/speech_samples.h"

#include "backend/protocol/audio/speech_manifest.h"
#include "backend/protocol/json.h"

#include <QFile>

#include <stdexcept>
#include <string>

namespace reef::ui {

namespace {

// A JSON array of objects, or an error naming the file.
Json readArray(const QString& file) {
  QFile in(file);
  if (!in.open(QIODevice::ReadOnly))
    throw std::runtime_error("cannot read '" + file.toStdString() + "': " + in.errorString().toStdString());
  const QByteArray bytes = in.readAll();
  Json rows;
  try {
    rows = Json::parse(bytes.begin(), bytes.end());
  } catch (const Json::exception& e) {
    throw std::runtime_error("'" + file.toStdString() + "' is not JSON (" + e.what() + ")");
  }
  if (!rows.is_array()) throw std::runtime_error("'" + file.toStdString() + "' is not a JSON array of samples");
  return rows;
}

// The fields of entry `index` of `file`, each checked for its type when required or present.
class Entry {
 public:
  Entry(const Json& row, const QString& file, size_t index) : row_(row), file_(file), index_(index) {
    if (!row.is_object()) fail("is not an object");
  }
  QString string(const char* key) const {
    if (!row_.contains(key) || !row_[key].is_string()) fail(std::string("needs \"") + key + "\" (a string)");
    return QString::fromStdString(row_[key].get<std::string>());
  }
  std::optional<QString> optionalString(const char* key) const {
    if (!row_.contains(key) || row_[key].is_null()) return std::nullopt;
    return string(key);
  }
  std::optional<double> optionalNumber(const char* key) const {
    if (!row_.contains(key) || row_[key].is_null()) return std::nullopt;
    if (!row_[key].is_number()) fail(std::string("\"") + key + "\" must be a number");
    return row_[key].get<double>();
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw std::runtime_error("'" + file_.toStdString() + "', sample " + std::to_string(index_ + 1) + ": " + what);
  }
  const Json& row_;
  const QString& file_;
  size_t index_;
};

}  // namespace

std::vector<SpeechSample> readTranscriptions(const QString& file) {
  const Json rows = readArray(file);
  std::vector<SpeechSample> samples;
  for (size_t i = 0; i < rows.size(); ++i) {
    const Entry e(rows[i], file, i);
    SpeechSample s;
    s.audio = e.string("audio");
    s.reference = e.string("reference");
    s.hypothesis = e.string("hypothesis");
    s.wer = e.optionalNumber("wer");
    s.speaker = e.optionalString("speaker").value_or(QString());
    s.duration = e.optionalNumber("duration").value_or(0);
    samples.push_back(std::move(s));
  }
  return samples;
}

std::vector<SpeechSample> readSynthesizedSpeech(const QString& file) {
  const Json rows = readArray(file);
  std::vector<SpeechSample> samples;
  for (size_t i = 0; i < rows.size(); ++i) {
    const Entry e(rows[i], file, i);
    SpeechSample s;
    s.audio = e.string("audio");
    s.reference = e.string("text");
    s.referenceAudio = e.optionalString("reference_audio").value_or(QString());
    s.hypothesis = e.optionalString("hypothesis");
    s.wer = e.optionalNumber("wer");
    samples.push_back(std::move(s));
  }
  return samples;
}

std::vector<SpeechSample> readManifestSamples(const QString& file) {
  std::vector<SpeechSample> samples;
  for (const auto& entry : protocol::audio::readManifest(file.toStdString())) {
    SpeechSample s;
    s.audio = QString::fromStdString(entry.audio.string());
    s.reference = QString::fromStdString(entry.text);
    s.speaker = QString::fromStdString(entry.speaker);
    s.duration = entry.duration;
    samples.push_back(std::move(s));
  }
  return samples;
}

}  // namespace reef::ui
