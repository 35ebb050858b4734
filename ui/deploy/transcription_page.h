#pragma once
// The Playground for a speech recognizer: open an audio file (any format libsndfile reads, any
// rate), send it to the running server's /v1/audio/transcriptions as any client would
// (multipart, verbose_json with word times), and show the transcript and each word's times.
#include <QPointer>
#include <QUrl>
#include <QWidget>

class QLabel;
class QNetworkAccessManager;
class QNetworkReply;
class QPushButton;
class QTableWidget;
class QTextBrowser;

namespace reef::ui {

class TranscriptionPage : public QWidget {
  Q_OBJECT
 public:
  TranscriptionPage(QNetworkAccessManager* network, QWidget* parent = nullptr);
  // The server to talk to (empty url: none).
  void setServer(const QUrl& url, const QString& modelId);
  // What "Open audio..." does after its dialog.
  void transcribeFile(const QString& path);

  QTextBrowser* text() const { return text_; }
  QTableWidget* words() const { return words_; }

 Q_SIGNALS:
  // A line for the Playground's status (what is happening, or the server's error as HTML).
  void status(const QString& html);
  void transcribed();

 private:
  QNetworkAccessManager* network_;
  QUrl url_;
  QString modelId_;
  QPointer<QNetworkReply> reply_;  // the request being answered
  QPushButton* open_;
  QLabel* file_;
  QTextBrowser* text_;
  QTableWidget* words_;
};

}  // namespace reef::ui
