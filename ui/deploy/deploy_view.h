#pragma once
// The studio's Deploy tab for the selected run: Export (the dialog), Deploy (starts `reef serve`
// and shows its address and model id, live requests and latency, a curl command and a Python
// program to call it, the server's log, and a Stop button); and the Playground, a tab of its
// own (playground()), that talks to the running server as any client would: a streamed chat for
// language models, image or text classification for classifiers (zero-shot against typed labels
// for embedding models), an audio file's transcript with
// word times for speech recognizers (TranscriptionPage), typed text heard for speech
// synthesizers (SynthesisPage).
#include "backend/protocol/catalog.h"
#include "backend/protocol/json.h"

#include <QPointer>
#include <QWidget>

#include <map>
#include <string>

class QLabel;
class QLineEdit;
class QNetworkAccessManager;
class QNetworkReply;
class QPlainTextEdit;
class QTabWidget;
class QPushButton;
class QSpinBox;
class QDoubleSpinBox;
class QStackedWidget;
class QTableWidget;
class QTextBrowser;

namespace reef::ui {

class ServeProcess;
class CaptionPage;
class PlaygroundPage;
class RestorationPage;
class SynthesisPage;
class TranscriptionPage;
class WorkspaceSession;

class DeployView : public QWidget {
  Q_OBJECT
 public:
  // `catalog` says what each model exports and how it serves (nullptr: nothing to offer); it
  // outlives this view.
  DeployView(WorkspaceSession& session, const protocol::Catalog* catalog, QString reefBinary,
             QWidget* parent = nullptr);
  ~DeployView() override;
  void setRun(qint64 run);
  // The Playground panel, for the window to show as a tab (it then owns it).
  QWidget* playground() const { return playgroundPanel_; }

  QPushButton* exportButton() const { return export_; }
  QPushButton* deployButton() const { return deploy_; }
  QPushButton* stopButton() const { return stop_; }
  QLabel* address() const { return address_; }
  QLabel* requestCount() const { return requests_; }
  QLabel* latency() const { return latency_; }
  QPlainTextEdit* curlSnippet() const { return curl_; }
  QPlainTextEdit* pythonSnippet() const { return python_; }
  QPlainTextEdit* serverLog() const { return log_; }
  ServeProcess* server() const { return server_; }
  // Playground
  QLineEdit* prompt() const { return prompt_; }
  QDoubleSpinBox* temperature() const { return temperature_; }
  QPushButton* sendButton() const { return send_; }
  QTextBrowser* transcript() const { return transcript_; }
  QTableWidget* predictions() const { return predictions_; }
  QLabel* playgroundStatus() const { return playgroundStatus_; }
  // Classifies an image file / a text through the running server (what "Open image..." and
  // "Classify" do).
  void classifyFile(const QString& path);
  void classifyText(const QString& text);
  QLineEdit* textInput() const { return text_; }
  // Zero-shot: the class names an embedding model chooses from, comma-separated.
  QLineEdit* labelsInput() const { return labels_; }
  TranscriptionPage* transcriptionPage() const { return transcription_; }
  SynthesisPage* synthesisPage() const { return synthesis_; }
  CaptionPage* captionPage() const { return caption_; }
  RestorationPage* restorationPage() const { return restoration_; }

 Q_SIGNALS:
  // A streamed chat answer finished (its text), or a classification came back.
  void chatFinished(const QString& answer);
  void classified();

 private:
  QWidget* buildServerPanel();
  QWidget* buildPlayground();
  QWidget* buildChatPage(QWidget* parent);
  QWidget* buildClassifyPage(QWidget* parent);
  // Adds `page` to the Playground as the one for `servingMode` (the catalog's).
  template <class Page>
  Page* addPage(const std::string& servingMode, Page* page);
  void openExportDialog();
  void startServer();
  void serverStarted();
  void serverStopped(const QString& error);
  void sendChat();
  void updateButtons();
  // The conversation, and the answer being streamed, as HTML.
  void renderTranscript(const QString& pending = {});

  WorkspaceSession& session_;
  const protocol::Catalog* catalog_;
  QString reef_;
  qint64 run_ = 0;
  QString runPath_, runName_, model_;         // model: "<collection>/<arch>"
  protocol::ModelCapabilities capabilities_;  // of the selected run's model
  std::string servingMode_;                   // of the run being served (the selection may move on)
  ServeProcess* server_;
  QNetworkAccessManager* network_;
  QPointer<QNetworkReply> chatReply_;
  Json conversation_ = Json::array();  // OpenAI messages so far
  QLabel* title_;
  QPushButton* export_;
  QPushButton* deploy_;
  QPushButton* stop_;
  QLabel* address_;
  QLabel* requests_;
  QLabel* latency_;
  QTabWidget* snippets_;
  QPlainTextEdit* curl_;
  QPlainTextEdit* python_;
  QPlainTextEdit* log_;
  QPointer<QWidget> playgroundPanel_;
  QStackedWidget* playground_;
  QWidget* idlePage_;                                   // while nothing is served
  std::map<std::string, QWidget*> pages_;               // by serving mode
  std::map<std::string, PlaygroundPage*> clientPages_;  // those of pages_ that talk to the server themselves
  QTextBrowser* transcript_;
  QLineEdit* prompt_;
  QPushButton* send_;
  QSpinBox* maxTokens_;
  QDoubleSpinBox* temperature_;
  void classify(const Json& input);
  QLabel* image_;
  QPushButton* openImage_;
  QLineEdit* text_;
  QLineEdit* labels_;
  std::string lastImage_;  // the Playground's last image, as a data: URL
  QPushButton* classifyText_;
  QTableWidget* predictions_;
  TranscriptionPage* transcription_;
  SynthesisPage* synthesis_;
  CaptionPage* caption_;
  RestorationPage* restoration_;
  QLabel* playgroundStatus_;
};

}  // namespace reef::ui
