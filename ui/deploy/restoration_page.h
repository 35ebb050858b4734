#pragma once
// The Playground for a punctuation model: paste text (lower-case, unpunctuated, or as it is: what
// it has is dropped first), send it to the running server's /v1/punctuate, and read it restored.
#include "ui/deploy/playground_page.h"

class QPlainTextEdit;
class QPushButton;
class QTextBrowser;

namespace reef::ui {

class RestorationPage : public PlaygroundPage {
  Q_OBJECT
 public:
  RestorationPage(QNetworkAccessManager* network, QWidget* parent = nullptr);
  // What "Restore" does: the input box's text, restored.
  void restore();

  QPlainTextEdit* input() const { return input_; }
  QPushButton* restoreButton() const { return restore_; }
  QTextBrowser* output() const { return output_; }

 Q_SIGNALS:
  void restored(const QString& text);

 protected:
  void serverChanged() override;
  void updateControls() override;

 private:
  QPlainTextEdit* input_;
  QPushButton* restore_;
  QTextBrowser* output_;
};

}  // namespace reef::ui
