#pragma once
// A hypothesis as rich text with each word error marked where it is, from the Levenshtein
// alignment against its reference (protocol::audio::align): a substituted word in red followed by
// the reference word in grey, an inserted word in red struck through (it should not be there), a
// deleted word, the reference word the model missed, in grey struck through. The marks are CSS
// classes, styled by one style sheet, so that the cells and their legend cannot disagree.
#include <QString>

namespace reef::ui {

// Spans of class "sub" (with the reference word in a span of class "ref"), "ins" and "del";
// correct words as plain escaped text.
QString markedHypothesis(const QString& reference, const QString& hypothesis);
// The style sheet of those classes, for QTextDocument::setDefaultStyleSheet.
QString wordErrorStyleSheet();
// One example of each mark, explained, as a self-contained rich-text line.
QString wordErrorLegend();

}  // namespace reef::ui
