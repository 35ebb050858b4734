#include "ui/deploy/deploy_view.h"

#include "storage/run_query.h"
#include "storage/workspace_index.h"
#include "ui/deploy/api_error.h"
#include "ui/deploy/caption_page.h"
#include "ui/deploy/client_snippets.h"
#include "ui/deploy/export_dialog.h"
#include "ui/deploy/playground_page.h"
#include "ui/deploy/restoration_page.h"
#include "ui/deploy/serve_process.h"
#include "ui/deploy/sse_parser.h"
#include "ui/deploy/synthesis_page.h"
#include "ui/deploy/transcription_page.h"
#include "ui/engine_client.h"
#include "ui/workspace_session.h"

#include <QClipboard>
#include <QDoubleSpinBox>
#include <QFile>
#include <QFileDialog>
#include <QFontDatabase>
#include <QFormLayout>
#include <QGuiApplication>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QPixmap>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSpinBox>
#include <QStackedWidget>
#include <QTabWidget>
#include <QTableWidget>
#include <QTextBrowser>
#include <QTextCursor>
#include <QVBoxLayout>

#include <memory>
#include <type_traits>

namespace reef::ui {

namespace {

// What the Playground's status line says first: the endpoint its page calls.
QString playgroundHint(const std::string& mode, const QString& url) {
  if (mode == "chat") return DeployView::tr("Chat through %1/v1/chat/completions (streamed).").arg(url);
  if (mode == "transcription") return DeployView::tr("Transcribe through %1/v1/audio/transcriptions.").arg(url);
  if (mode == "speech")
    return DeployView::tr("Speak through %1/v1/audio/speech (streamed a sentence at a time).").arg(url);
  if (mode == "embedding")
    return DeployView::tr(
               "Type labels and open an image: zero-shot through %1/v1/classify; embeddings through "
               "%1/v1/embeddings.")
        .arg(url);
  if (mode == "captioning")
    return DeployView::tr("Open or drop an image: captioned through %1/v1/chat/completions (an image_url part).")
        .arg(url);
  if (mode == "punctuation") return DeployView::tr("Restore punctuation through %1/v1/punctuate.").arg(url);
  return DeployView::tr("Classify through %1/v1/classify.").arg(url);
}

}  // namespace

DeployView::DeployView(WorkspaceSession& session, const protocol::Catalog* catalog, QString reefBinary, QWidget* parent)
    : QWidget(parent),
      session_(session),
      catalog_(catalog),
      reef_(std::move(reefBinary)),
      server_(new ServeProcess(reef_, this)),
      network_(new QNetworkAccessManager(this)) {
  auto* layout = new QVBoxLayout(this);
  title_ = new QLabel(tr("Select a run to export or deploy it."), this);
  layout->addWidget(title_);

  auto* serving = new QHBoxLayout;
  export_ = new QPushButton(tr("Export..."), this);
  deploy_ = new QPushButton(tr("Deploy"), this);
  deploy_->setToolTip(tr("Start `reef serve` for this run on 127.0.0.1 (OpenAI-style endpoints)"));
  stop_ = new QPushButton(tr("Stop"), this);
  address_ = new QLabel(tr("not serving"), this);
  address_->setTextInteractionFlags(Qt::TextBrowserInteraction);
  address_->setOpenExternalLinks(true);
  requests_ = new QLabel(this);
  serving->addWidget(export_);
  serving->addWidget(deploy_);
  serving->addWidget(stop_);
  serving->addSpacing(16);
  serving->addWidget(address_, 1);
  serving->addWidget(requests_);
  layout->addLayout(serving);
  layout->addWidget(buildServerPanel(), 1);
  playgroundPanel_ = buildPlayground();

  connect(export_, &QPushButton::clicked, this, &DeployView::openExportDialog);
  connect(deploy_, &QPushButton::clicked, this, &DeployView::startServer);
  connect(stop_, &QPushButton::clicked, server_, &ServeProcess::stop);
  connect(server_, &ServeProcess::started, this, &DeployView::serverStarted);
  connect(server_, &ServeProcess::stopped, this, &DeployView::serverStopped);
  connect(server_, &ServeProcess::statsChanged, this, [this](const ServeCounts& c) {
    requests_->setText(tr("%n request(s)", nullptr, int(c.requests)) +
                       (c.inFlight ? tr(", %1 in flight").arg(c.inFlight) : "") +
                       (c.decoding ? tr(", %1 decoding together").arg(c.decoding) : "") +
                       (c.waiting ? tr(", %1 waiting").arg(c.waiting) : ""));
    latency_->setText(c.timed == 0 ? tr("no model requests yet")
                                   : tr("mean %1 ms, 95 % under %2 ms (%n request(s))", nullptr, int(c.timed))
                                         .arg(c.meanMs, 0, 'f', 1)
                                         .arg(c.p95UpperMs, 0, 'g', 4));
  });
  connect(server_, &ServeProcess::output, this, [this](const QString& text) {
    log_->moveCursor(QTextCursor::End);
    log_->insertPlainText(text);
    log_->moveCursor(QTextCursor::End);
  });
  connect(send_, &QPushButton::clicked, this, &DeployView::sendChat);
  connect(prompt_, &QLineEdit::returnPressed, this, &DeployView::sendChat);
  connect(classifyText_, &QPushButton::clicked, this, [this] { classifyText(text_->text()); });
  connect(text_, &QLineEdit::returnPressed, this, [this] { classifyText(text_->text()); });
  connect(labels_, &QLineEdit::returnPressed, this, [this] {  // other labels for the same image
    if (!lastImage_.empty() && !server_->url().isEmpty()) classify(lastImage_);
  });
  connect(openImage_, &QPushButton::clicked, this, [this] {
    const QString file =
        QFileDialog::getOpenFileName(this, tr("Image to classify"), {}, tr("Images (*.png *.jpg *.jpeg)"));
    if (!file.isEmpty()) classifyFile(file);
  });
  updateButtons();
}

// While serving: latency, how to call the server (curl, Python; copied with one click) and what
// it prints.
QWidget* DeployView::buildServerPanel() {
  auto* panel = new QWidget(this);
  auto* layout = new QVBoxLayout(panel);
  layout->setContentsMargins(0, 0, 0, 0);
  auto* form = new QFormLayout;
  latency_ = new QLabel(tr("not serving"), panel);
  form->addRow(tr("Latency"), latency_);
  layout->addLayout(form);
  auto* callHeader = new QHBoxLayout;
  callHeader->addWidget(new QLabel(tr("<b>Call it</b> (the Playground tab tries it here)"), panel), 1);
  auto* copy = new QPushButton(tr("Copy"), panel);
  copy->setObjectName("copySnippet");
  callHeader->addWidget(copy);
  layout->addLayout(callHeader);
  snippets_ = new QTabWidget(panel);
  const QFont mono = QFontDatabase::systemFont(QFontDatabase::FixedFont);
  for (QPlainTextEdit** edit : {&curl_, &python_}) {
    *edit = new QPlainTextEdit(snippets_);
    (*edit)->setReadOnly(true);
    (*edit)->setFont(mono);
    (*edit)->setPlaceholderText(tr("Deploy the run to see how to call it."));
  }
  snippets_->addTab(curl_, "curl");
  snippets_->addTab(python_, "Python");
  layout->addWidget(snippets_, 1);
  connect(copy, &QPushButton::clicked, this, [this] {
    QGuiApplication::clipboard()->setText(static_cast<QPlainTextEdit*>(snippets_->currentWidget())->toPlainText());
  });
  layout->addWidget(new QLabel(tr("<b>Server log</b>"), panel));
  log_ = new QPlainTextEdit(panel);
  log_->setObjectName("serverLog");
  log_->setReadOnly(true);
  log_->setFont(mono);
  log_->setMaximumBlockCount(5000);
  layout->addWidget(log_, 1);
  return panel;
}

template <class Page>
Page* DeployView::addPage(const std::string& servingMode, Page* page) {
  if (playground_->indexOf(page) < 0) playground_->addWidget(page);
  pages_[servingMode] = page;
  if constexpr (std::is_base_of_v<PlaygroundPage, Page>) {
    clientPages_[servingMode] = page;
    connect(page, &PlaygroundPage::status, playgroundStatus_, &QLabel::setText);
  }
  return page;
}

// The playground is a tab of its own (the main window adds it); this view drives it, showing the
// page for the served model's serving mode.
QWidget* DeployView::buildPlayground() {
  auto* box = new QWidget;
  auto* boxLayout = new QVBoxLayout(box);
  playground_ = new QStackedWidget(box);
  playground_->setObjectName("playgroundPages");
  playgroundStatus_ = new QLabel(box);
  playgroundStatus_->setWordWrap(true);
  idlePage_ = new QLabel(tr("Deploy the run to try it here."), playground_);
  playground_->addWidget(idlePage_);
  addPage("chat", buildChatPage(playground_));
  QWidget* classify = buildClassifyPage(playground_);
  for (const char* mode : {"image_classification", "text_classification", "embedding"}) addPage(mode, classify);
  transcription_ = addPage("transcription", new TranscriptionPage(network_, playground_));
  synthesis_ = addPage("speech", new SynthesisPage(network_, playground_));
  caption_ = addPage("captioning", new CaptionPage(network_, playground_));
  restoration_ = addPage("punctuation", new RestorationPage(network_, playground_));
  boxLayout->addWidget(playground_, 1);
  boxLayout->addWidget(playgroundStatus_);
  return box;
}

QWidget* DeployView::buildChatPage(QWidget* parent) {
  auto* chat = new QWidget(parent);
  auto* chatLayout = new QVBoxLayout(chat);
  transcript_ = new QTextBrowser(chat);
  chatLayout->addWidget(transcript_, 1);
  auto* ask = new QHBoxLayout;
  prompt_ = new QLineEdit(chat);
  prompt_->setPlaceholderText(tr("Message"));
  send_ = new QPushButton(tr("Send"), chat);
  maxTokens_ = new QSpinBox(chat);
  maxTokens_->setRange(1, 4096);
  maxTokens_->setValue(64);
  maxTokens_->setPrefix(tr("max tokens "));
  temperature_ = new QDoubleSpinBox(chat);
  temperature_->setRange(0, 2);
  temperature_->setSingleStep(0.1);
  temperature_->setValue(0.7);
  temperature_->setPrefix(tr("temperature "));
  ask->addWidget(prompt_, 1);
  ask->addWidget(maxTokens_);
  ask->addWidget(temperature_);
  ask->addWidget(send_);
  chatLayout->addLayout(ask);
  return chat;
}

// Classify an image or a text (the inputs of the served mode are shown).
QWidget* DeployView::buildClassifyPage(QWidget* parent) {
  auto* classify = new QWidget(parent);
  auto* classifyLayout = new QHBoxLayout(classify);
  auto* left = new QVBoxLayout;
  openImage_ = new QPushButton(tr("Open image..."), classify);
  image_ = new QLabel(classify);
  image_->setFixedSize(168, 168);
  image_->setAlignment(Qt::AlignCenter);
  image_->setStyleSheet("border: 1px solid #999");
  text_ = new QLineEdit(classify);
  text_->setPlaceholderText(tr("Text to classify"));
  text_->setMinimumWidth(320);
  classifyText_ = new QPushButton(tr("Classify"), classify);
  labels_ = new QLineEdit(classify);
  labels_->setPlaceholderText(tr("Labels, comma-separated: cat, dog, car"));
  labels_->setToolTip(
      tr("Zero-shot: each label is compared with the image as the model's prompt; Return classifies the image again"));
  labels_->setMinimumWidth(320);
  left->addWidget(labels_);
  left->addWidget(openImage_);
  left->addWidget(image_);
  left->addWidget(text_);
  left->addWidget(classifyText_);
  left->addStretch();
  predictions_ = new QTableWidget(0, 2, classify);
  predictions_->setHorizontalHeaderLabels({tr("class"), tr("probability")});
  predictions_->horizontalHeader()->setStretchLastSection(true);
  predictions_->setEditTriggers(QAbstractItemView::NoEditTriggers);
  classifyLayout->addLayout(left);
  classifyLayout->addWidget(predictions_, 1);
  return classify;
}

DeployView::~DeployView() {
  if (chatReply_) chatReply_->abort();
  // The server process ends first, while this view can still take its last signals.
  server_->disconnect(this);
  delete server_;
  if (playgroundPanel_ && !playgroundPanel_->parent()) delete playgroundPanel_;  // never placed in a window
}

void DeployView::setRun(qint64 run) {
  if (run == run_) return;
  run_ = run;
  runPath_.clear();
  model_.clear();
  capabilities_ = {};
  if (run != 0) {
    try {
      const Json d = storage::runDetails(session_.index().db(), run);
      const Json& r = d["run"];
      runPath_ = QString::fromStdString(r["path"].get<std::string>());
      runName_ = QString::fromStdString(r["name"].get<std::string>());
      if (const protocol::ModelCapabilities* c = capabilitiesOf(catalog_, r["spec"])) capabilities_ = *c;
      if (r["spec"].is_object())
        model_ = QString::fromStdString(r["spec"]["model"].value("collection", "") + "/" +
                                        r["spec"]["model"].value("arch", ""));
    } catch (const std::exception& e) {
      title_->setText(QString::fromStdString(e.what()));
    }
  }
  if (!server_->running())
    title_->setText(
        runPath_.isEmpty()
            ? tr("Select a run to export or deploy it.")
            : tr("<b>%1</b> (%2) &nbsp; %3").arg(runName_.toHtmlEscaped(), model_, runPath_.toHtmlEscaped()));
  updateButtons();
}

void DeployView::updateButtons() {
  const bool serving = server_->running();
  export_->setEnabled(!runPath_.isEmpty());
  const bool servable = capabilities_.serving != "none";
  deploy_->setEnabled(!runPath_.isEmpty() && !serving && servable);
  deploy_->setToolTip(servable || runPath_.isEmpty()
                          ? QString()
                          : tr("%1 declares no serving mode: there is nothing to deploy (a pretrained encoder starts "
                               "other models through trainer.init_from)")
                                .arg(model_));
  stop_->setEnabled(serving);
  send_->setEnabled(serving && !server_->url().isEmpty() && !chatReply_);
}

void DeployView::openExportDialog() {
  QStringList formats;
  for (const auto& f : capabilities_.exportFormats) formats << QString::fromStdString(f);
  auto* dialog = new ExportDialog(reef_, runPath_, formats, this);
  dialog->setAttribute(Qt::WA_DeleteOnClose);
  dialog->open();
}

void DeployView::startServer() {
  servingMode_ = capabilities_.serving;
  title_->setText(tr("Serving <b>%1</b> (%2)").arg(runName_.toHtmlEscaped(), model_));
  address_->setText(tr("starting..."));
  requests_->clear();
  log_->clear();
  curl_->clear();
  python_->clear();
  server_->start(runPath_);
  updateButtons();
}

void DeployView::serverStarted() {
  conversation_ = Json::array();
  renderTranscript();
  const QString url = server_->url().toString();
  address_->setText(
      QString("<a href='%1/health'>%1</a> &nbsp; model <code>%2</code>").arg(url, server_->modelId().toHtmlEscaped()));
  requests_->setText(tr("0 requests"));
  latency_->setText(tr("no model requests yet"));
  const ClientSnippets snippets = clientSnippets(server_->url(), server_->modelId(), servingMode_);
  curl_->setPlainText(snippets.curl);
  python_->setPlainText(snippets.python);
  snippets_->setTabText(1, snippets.pythonLabel);
  const auto page = pages_.find(servingMode_);
  playground_->setCurrentWidget(page == pages_.end() ? idlePage_ : page->second);
  for (const auto& [mode, client] : clientPages_)
    client->setServer(mode == servingMode_ ? server_->url() : QUrl(), server_->modelId());
  const bool zeroShot = servingMode_ == "embedding";
  for (QWidget* w : std::initializer_list<QWidget*>{openImage_, image_})
    w->setVisible(servingMode_ == "image_classification" || zeroShot);
  labels_->setVisible(zeroShot);
  for (QWidget* w : std::initializer_list<QWidget*>{text_, classifyText_})
    w->setVisible(servingMode_ == "text_classification");
  playgroundStatus_->setText(playgroundHint(servingMode_, url));
  updateButtons();
}

void DeployView::serverStopped(const QString& error) {
  address_->setText(error.isEmpty() ? tr("stopped") : errorHtml(error));
  latency_->setText(tr("not serving"));
  playground_->setCurrentWidget(idlePage_);
  for (const auto& [mode, client] : clientPages_) client->setServer({}, {});
  playgroundStatus_->clear();  // it spoke of the server that has gone
  updateButtons();
}

void DeployView::sendChat() {
  const QString text = prompt_->text().trimmed();
  if (text.isEmpty() || chatReply_ || server_->url().isEmpty()) return;
  prompt_->clear();
  conversation_.push_back({{"role", "user"}, {"content", text.toStdString()}});
  renderTranscript();
  const Json body = {{"model", server_->modelId().toStdString()},
                     {"messages", conversation_},
                     {"stream", true},
                     {"max_tokens", maxTokens_->value()},
                     {"temperature", temperature_->value()}};
  QNetworkRequest request(server_->url().resolved(QUrl("/v1/chat/completions")));
  request.setHeader(QNetworkRequest::ContentTypeHeader, "application/json");
  chatReply_ = network_->post(request, QByteArray::fromStdString(body.dump()));
  auto parser = std::make_shared<SseParser>();
  auto answer = std::make_shared<QString>();
  auto chunks = std::make_shared<int>(0);
  auto failure = std::make_shared<QString>();
  auto received = std::make_shared<QByteArray>();  // kept for the error object of a 4xx
  playgroundStatus_->setText(tr("Generating..."));
  connect(chatReply_, &QNetworkReply::readyRead, this, [this, parser, answer, chunks, failure, received] {
    const QByteArray bytes = chatReply_->readAll();
    *received += bytes;
    if (chatReply_->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt() != 200) return;
    for (const QByteArray& event : parser->feed(bytes)) {
      if (event == "[DONE]") continue;
      const Json chunk = Json::parse(event.toStdString(), nullptr, false);
      if (chunk.is_discarded()) continue;
      if (chunk.contains("error")) {
        *failure = QString::fromStdString(chunk["error"].value("message", "the server failed"));
        continue;
      }
      const Json& delta = chunk["choices"][0]["delta"];
      if (delta.contains("content")) *answer += QString::fromStdString(delta["content"].get<std::string>());
      ++*chunks;
    }
    renderTranscript(*answer);
  });
  connect(chatReply_, &QNetworkReply::finished, this, [this, answer, chunks, failure, received] {
    QNetworkReply* reply = chatReply_;
    reply->deleteLater();
    chatReply_.clear();
    *received += reply->readAll();
    if (reply->error() != QNetworkReply::NoError || !failure->isEmpty()) {
      // The question goes unanswered: it leaves the conversation, so the next one is not refused too.
      conversation_.erase(conversation_.end() - 1);
      renderTranscript();
      const QString why = failure->isEmpty() ? apiErrorOf(reply, *received) : *failure;
      playgroundStatus_->setText(errorHtml(why));
    } else {
      conversation_.push_back({{"role", "assistant"}, {"content", answer->toStdString()}});
      renderTranscript();
      playgroundStatus_->setText(tr("%1 streamed chunks").arg(*chunks));
      Q_EMIT chatFinished(*answer);
    }
    updateButtons();
  });
  updateButtons();
}

void DeployView::renderTranscript(const QString& pending) {
  QString html;
  auto line = [&](const QString& who, const QString& text) {
    html += "<p><b>" + who.toHtmlEscaped() + ":</b> " + text.toHtmlEscaped().replace('\n', "<br>") + "</p>";
  };
  for (const auto& m : conversation_)
    line(m["role"] == "user" ? tr("You") : server_->modelId(), QString::fromStdString(m["content"].get<std::string>()));
  if (!pending.isEmpty() || chatReply_) line(server_->modelId(), pending);
  transcript_->setHtml(html);
  transcript_->moveCursor(QTextCursor::End);
}

void DeployView::classifyFile(const QString& path) {
  QFile file(path);
  if (server_->url().isEmpty() || !file.open(QIODevice::ReadOnly)) {
    playgroundStatus_->setText(tr("Cannot read %1").arg(path));
    return;
  }
  const QByteArray bytes = file.readAll();
  QPixmap pixmap;
  pixmap.loadFromData(bytes);
  image_->setPixmap(pixmap.scaled(image_->size() - QSize(8, 8), Qt::KeepAspectRatio, Qt::FastTransformation));
  lastImage_ = "data:image/png;base64," + bytes.toBase64().toStdString();
  classify(lastImage_);
}

void DeployView::classifyText(const QString& text) {
  if (server_->url().isEmpty() || text.trimmed().isEmpty()) return;
  classify(text.toStdString());
}

void DeployView::classify(const Json& input) {
  Json body = {{"model", server_->modelId().toStdString()}, {"input", input}, {"top_k", 5}};
  if (servingMode_ == "embedding") {
    Json labels = Json::array();
    for (const QString& l : labels_->text().split(',', Qt::SkipEmptyParts))
      if (!l.trimmed().isEmpty()) labels.push_back(l.trimmed().toStdString());
    if (labels.size() < 2) {
      playgroundStatus_->setText("<span style='color:#c22'>" +
                                 tr("Type at least two labels, comma-separated, for the image to be classified into.") +
                                 "</span>");
      return;
    }
    body["labels"] = labels;
    body["top_k"] = 10;
  }
  QNetworkRequest request(server_->url().resolved(QUrl("/v1/classify")));
  request.setHeader(QNetworkRequest::ContentTypeHeader, "application/json");
  QNetworkReply* reply = network_->post(request, QByteArray::fromStdString(body.dump()));
  playgroundStatus_->setText(tr("Classifying..."));
  connect(reply, &QNetworkReply::finished, this, [this, reply] {
    reply->deleteLater();
    const QByteArray answer = reply->readAll();
    predictions_->setRowCount(0);
    if (reply->error() != QNetworkReply::NoError) {
      playgroundStatus_->setText(errorHtml(apiErrorOf(reply, answer)));
      return;
    }
    const Json result = Json::parse(answer.toStdString(), nullptr, false);
    if (result.is_discarded()) return;
    for (const auto& top : result["data"][0]["top"]) {
      const int row = predictions_->rowCount();
      predictions_->insertRow(row);
      predictions_->setItem(row, 0, new QTableWidgetItem(QString::fromStdString(top["label"].get<std::string>())));
      predictions_->setItem(row, 1, new QTableWidgetItem(QString::number(top["score"].get<double>(), 'f', 4)));
    }
    playgroundStatus_->setText(
        tr("Predicted %1").arg(QString::fromStdString(result["data"][0]["label"].get<std::string>())));
    Q_EMIT classified();
  });
}

}  // namespace reef::ui
