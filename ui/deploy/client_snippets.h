#pragma once
// What a user pastes to call a model the studio serves: a curl command and a Python program,
// written for the model's serving mode (chat, classification, transcription, speech, embedding,
// captioning, punctuation) with its address and model id filled in and quoted for the shell and
// JSON.
#include <QString>
#include <QUrl>

#include <string>

namespace reef::ui {

struct ClientSnippets {
  QString curl;
  QString python;
  QString pythonLabel;  // "Python (openai)" where the official client fits, else "Python"
};

ClientSnippets clientSnippets(const QUrl& server, const QString& modelId, const std::string& servingMode);

// `text` in single quotes for a POSIX shell.
QString shellQuoted(const QString& text);

}  // namespace reef::ui
