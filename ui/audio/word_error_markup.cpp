#include "ui/audio/word_error_markup.h"

#include "backend/protocol/audio/word_errors.h"

#include <QObject>
#include <QStringList>

namespace reef::ui {

namespace audio = protocol::audio;

namespace {

QString escaped(const std::string& word) { return QString::fromStdString(word).toHtmlEscaped(); }

QString marked(const audio::AlignedToken& t) {
  switch (t.op) {
    case audio::EditOp::Correct:
      return escaped(t.hypothesis);
    case audio::EditOp::Substitution:
      return "<span class='sub'>" + escaped(t.hypothesis) + "</span><span class='ref'>(" + escaped(t.reference) +
             ")</span>";
    case audio::EditOp::Insertion:
      return "<span class='ins'>" + escaped(t.hypothesis) + "</span>";
    case audio::EditOp::Deletion:
      return "<span class='del'>" + escaped(t.reference) + "</span>";
  }
  return {};
}

}  // namespace

QString markedHypothesis(const QString& reference, const QString& hypothesis) {
  QStringList out;
  for (const auto& token : audio::align(audio::words(reference.toStdString()), audio::words(hypothesis.toStdString())))
    out << marked(token);
  return out.join(' ');
}

QString wordErrorStyleSheet() {
  return ".sub { color: #cc2222; font-weight: bold; }"
         ".ref { color: #888888; font-size: small; }"
         ".ins { color: #cc2222; text-decoration: line-through; }"
         ".del { color: #888888; text-decoration: line-through; }";
}

QString wordErrorLegend() {
  return "<html><head><style>" + wordErrorStyleSheet() + "</style></head><body>" +
         QObject::tr(
             "Hypothesis marks: %1 substituted (the reference word after it), %2 inserted, %3 missed (deleted).")
             .arg(marked({audio::EditOp::Substitution, "word", "ward"}),
                  marked({audio::EditOp::Insertion, "", "extra"}), marked({audio::EditOp::Deletion, "gone", ""})) +
         "</body></html>";
}

}  // namespace reef::ui
