// The studio's Export dialog and Deploy tab against the real engine: a short MNIST run exports to
// ONNX with its read-back check shown as verified; deployed (unnamed: it is served under its run
// id), it classifies a PNG of a test digit from the playground while the request count goes up, and
// stops; a short KJV Llama run deployed answers a chat streamed in several chunks; a short FastPitch
// run deployed speaks typed text in the Playground and shows the server's error for empty input;
// a short CLIP run deployed classifies a picture into labels typed there; a short captioner
// deployed captions an opened and a dropped image as `reef caption` does; a short punctuation run
// deployed restores pasted text; the speech recognizer that aligned the synthesizer, deployed,
// transcribes jfk.wav and drops a request the stopped server can no longer answer.
#include "storage/workspace_index.h"
#include "tests/support/speech_subset.h"
#include "ui/audio/waveform_plot.h"
#include "ui/deploy/caption_page.h"
#include "ui/deploy/deploy_view.h"
#include "ui/deploy/export_dialog.h"
#include "ui/deploy/restoration_page.h"
#include "ui/deploy/serve_process.h"
#include "ui/deploy/synthesis_page.h"
#include "ui/deploy/transcription_page.h"
#include "ui/engine_client.h"
#include "ui/main_window.h"
#include "ui/workspace_session.h"

#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFile>
#include <QImage>
#include <QLabel>
#include <QLineEdit>
#include <QMimeData>
#include <QPlainTextEdit>
#include <QProcess>
#include <QPushButton>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QStackedWidget>
#include <QStandardPaths>
#include <QTabWidget>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QTextBrowser>
#include <QtTest>

#include <cmath>
#include <fstream>

using namespace reef;
using namespace reef::ui;

class TestDeployView : public QObject {
  Q_OBJECT
  QTemporaryDir dir_;
  std::unique_ptr<WorkspaceSession> session_;
  qint64 vision_ = 0, llm_ = 0;
  QString visionPath_;
  protocol::Catalog catalog_;  // what the views learn each model can do

  QStringList formatsOf(const std::string& collection, const std::string& arch) const {
    QStringList formats;
    for (const auto& f : catalog_.model(collection, arch)->capabilities.exportFormats)
      formats << QString::fromStdString(f);
    return formats;
  }

  // The first 28x28 test picture of an IDX dataset under data/, saved as a PNG; "" on failure.
  QString firstPicturePng(const char* dataset, const QString& name) const {
    std::ifstream idx(QString(REEF_SOURCE_DIR "/data/%1/t10k-images-idx3-ubyte").arg(dataset).toStdString(),
                      std::ios::binary);
    idx.seekg(16);
    QImage picture(28, 28, QImage::Format_Grayscale8);
    for (int y = 0; y < 28; ++y) idx.read(reinterpret_cast<char*>(picture.scanLine(y)), 28);
    const QString png = dir_.filePath(name);
    return idx && picture.save(png) ? png : QString();
  }

  qint64 train(const QString& name, const QStringList& args) {
    const QString run = dir_.filePath("runs/" + name);
    QProcess p;
    p.start(REEF_BINARY, QStringList{"train"} + args + QStringList{"--run-dir", run, "--plain"});
    if (!p.waitForFinished(240000) || p.exitCode() != 0) {
      qWarning("%s", p.readAllStandardError().constData());
      return 0;
    }
    session_->index().syncRun(run.toStdString());
    return session_->index().resolveRun(run.toStdString());
  }

 private Q_SLOTS:
  void initTestCase() {
    QStandardPaths::setTestModeEnabled(true);
    session_ = std::make_unique<WorkspaceSession>(dir_.path());
    catalog_ = loadCatalog(REEF_BINARY);
    visionPath_ = dir_.filePath("runs/digits");
    // Unnamed, as the designer's default spec leaves it: served, its id is its run id.
    vision_ = train("digits", {REEF_SOURCE_DIR "/resources/examples/vision/mnist_cnn.yaml", "--set",
                               "trainer.max_steps=300", "--set", "trainer.val_interval=300", "--set", "exp.name=\"\""});
    QVERIFY(vision_ != 0);
    llm_ = train("bible", {REEF_SOURCE_DIR "/resources/examples/llm/kjv_llama.yaml", "--set", "model.dim=64", "--set",
                           "model.layers=2", "--set", "data.batch_size=16", "--set", "trainer.max_steps=30", "--set",
                           "trainer.val_interval=30", "--set", "trainer.limit_val_batches=1"});
    QVERIFY(llm_ != 0);
  }

  void windowHasDeployAndPlaygroundTabs() {
    MainWindow window(loadCatalog(REEF_BINARY), {}, REEF_BINARY);
    QVERIFY(window.openWorkspace(dir_.path()));
    QStringList tabs;
    for (int i = 0; i < window.tabs()->count(); ++i) tabs << window.tabs()->tabText(i);
    QVERIFY2(tabs.contains("Deploy") && tabs.contains("Playground"), qPrintable(tabs.join(", ")));
    QCOMPARE(window.tabs()->widget(tabs.indexOf("Playground")), window.deploy()->playground());
  }

  void exportDialogShowsTheVerification() {
    // The formats come from the catalog, which each collection's registration fills.
    QCOMPARE(formatsOf("vision", "cnn"), (QStringList{"bundle", "onnx", "triton"}));
    QCOMPARE(formatsOf("llm", "llama"), (QStringList{"bundle", "gguf", "hf"}));
    ExportDialog dialog(REEF_BINARY, visionPath_, formatsOf("vision", "cnn"));
    dialog.format()->setCurrentText("onnx");
    QVERIFY(dialog.destination()->text().endsWith(".onnx"));
    QVERIFY(!dialog.type()->isEnabled());  // the GGUF type is for GGUF only
    QSignalSpy done(&dialog, &ExportDialog::finishedExport);
    QTest::mouseClick(dialog.exportButton(), Qt::LeftButton);
    QVERIFY(done.wait(120000));
    QVERIFY2(dialog.verified(), qPrintable(dialog.status()->text()));
    QVERIFY(dialog.status()->text().contains("ONNX file parsed and checked"));
    QVERIFY(QFile(dialog.destination()->text()).size() > 10000);
    // A destination the engine cannot write is reported, not verified.
    dialog.destination()->setText("/proc/no-such-place/model.onnx");
    QTest::mouseClick(dialog.exportButton(), Qt::LeftButton);
    QVERIFY(done.wait(120000));
    QVERIFY(!dialog.verified());
    QVERIFY(dialog.status()->text().contains("failed"));
  }

  void deployClassifiesFromThePlayground() {
    DeployView view(*session_, &catalog_, REEF_BINARY);
    view.setRun(vision_);
    QVERIFY(view.deployButton()->isEnabled());
    QVERIFY(!view.stopButton()->isEnabled());
    QSignalSpy started(view.server(), &ServeProcess::started);
    QTest::mouseClick(view.deployButton(), Qt::LeftButton);
    QVERIFY(started.wait(60000));
    QVERIFY2(view.address()->text().contains("http://127.0.0.1:"), qPrintable(view.address()->text()));
    QVERIFY2(view.address()->text().contains("model <code>digits</code>"), qPrintable(view.address()->text()));
    QVERIFY(view.stopButton()->isEnabled() && !view.deployButton()->isEnabled());

    // The first MNIST test digit (a 7) as a PNG, the way a user would pick one.
    const QString png = firstPicturePng("mnist", "seven.png");
    QVERIFY(!png.isEmpty());
    QSignalSpy classified(&view, &DeployView::classified);
    view.classifyFile(png);
    QVERIFY2(classified.wait(30000), qPrintable(view.playgroundStatus()->text()));
    QCOMPARE(view.predictions()->rowCount(), 5);
    QCOMPARE(view.predictions()->item(0, 0)->text(), QString("7"));
    QVERIFY(view.predictions()->item(0, 1)->text().toDouble() > 0.5);
    // The live request count and latency come from the server's /metrics.
    QTRY_VERIFY_WITH_TIMEOUT(view.requestCount()->text().startsWith("1 request"), 5000);
    QTRY_VERIFY_WITH_TIMEOUT(view.latency()->text().startsWith("mean "), 5000);
    // How to call it, with this server's address and model id; and what the server printed.
    QVERIFY(view.curlSnippet()->toPlainText().contains(view.server()->url().toString() + "/v1/classify"));
    QVERIFY(view.curlSnippet()->toPlainText().contains("\"model\": \"digits\""));
    QVERIFY(view.pythonSnippet()->toPlainText().contains("urllib.request"));
    QVERIFY2(view.serverLog()->toPlainText().contains("reef serve: digits"),
             qPrintable(view.serverLog()->toPlainText()));

    QSignalSpy stopped(view.server(), &ServeProcess::stopped);
    QTest::mouseClick(view.stopButton(), Qt::LeftButton);
    QVERIFY(stopped.wait(20000));
    QCOMPARE(stopped.first().first().toString(), QString());  // stopped on request, no error
    QCOMPARE(view.address()->text(), QString("stopped"));
    QVERIFY(view.deployButton()->isEnabled());
  }

  void deployedLanguageModelChatsStreamed() {
    DeployView view(*session_, &catalog_, REEF_BINARY);
    view.setRun(llm_);
    QSignalSpy started(view.server(), &ServeProcess::started);
    QTest::mouseClick(view.deployButton(), Qt::LeftButton);
    QVERIFY(started.wait(60000));
    QVERIFY(view.sendButton()->isEnabled());
    QVERIFY(view.pythonSnippet()->toPlainText().contains("client.chat.completions.create"));
    QSignalSpy answered(&view, &DeployView::chatFinished);
    // Greedy: a sampled answer of a 30-step model can end after a token or two.
    view.temperature()->setValue(0);
    view.prompt()->setText("And God said");
    QTest::mouseClick(view.sendButton(), Qt::LeftButton);
    QVERIFY2(answered.wait(60000), qPrintable(view.playgroundStatus()->text()));
    const QString answer = answered.first().first().toString();
    QVERIFY(!answer.isEmpty());
    QVERIFY(view.transcript()->toPlainText().contains("And God said"));
    // The transcript shows line breaks as paragraph separators: compare with whitespace folded
    // (the answer may contain any).
    QVERIFY2(view.transcript()->toPlainText().simplified().contains(answer.left(20).simplified()), qPrintable(answer));
    const int chunks = view.playgroundStatus()->text().section(' ', 0, 0).toInt();
    QVERIFY2(chunks > 3, qPrintable(view.playgroundStatus()->text()));
    // Stopped, the playground forgets the last exchange's status with the server it came from.
    QSignalSpy stopped(view.server(), &ServeProcess::stopped);
    QTest::mouseClick(view.stopButton(), Qt::LeftButton);
    QVERIFY(stopped.wait(20000));
    QVERIFY2(view.playgroundStatus()->text().isEmpty(), qPrintable(view.playgroundStatus()->text()));
  }

  // A CLIP run classifies a Fashion-MNIST test picture (28x28 grey: the server fits it to the
  // model's 32x32 RGB) into labels typed in the Playground; fewer than two labels is explained.
  void deployedEmbeddingModelClassifiesZeroShot() {
    const qint64 clip =
        train("clip", {REEF_SOURCE_DIR "/resources/examples/multimodal/clip.yaml", "--set", "trainer.max_steps=40",
                       "--set", "trainer.val_interval=40", "--set", "data.batch_size=128"});
    QVERIFY(clip != 0);
    DeployView view(*session_, &catalog_, REEF_BINARY);
    view.setRun(clip);
    QSignalSpy started(view.server(), &ServeProcess::started);
    QTest::mouseClick(view.deployButton(), Qt::LeftButton);
    QVERIFY(started.wait(60000));
    QVERIFY(view.curlSnippet()->toPlainText().contains("\"labels\""));
    QVERIFY(view.pythonSnippet()->toPlainText().contains("client.embeddings.create"));
    const QString png = firstPicturePng("fashion_mnist", "boot.png");
    QVERIFY(!png.isEmpty());
    view.labelsInput()->setText("ankle boot, bag,  t-shirt ,");
    QSignalSpy classified(&view, &DeployView::classified);
    view.classifyFile(png);
    QVERIFY2(classified.wait(30000), qPrintable(view.playgroundStatus()->text()));
    QCOMPARE(view.predictions()->rowCount(), 3);
    double total = 0;
    QStringList shown;
    for (int r = 0; r < 3; ++r) {
      shown << view.predictions()->item(r, 0)->text();
      total += view.predictions()->item(r, 1)->text().toDouble();
    }
    shown.sort();
    QCOMPARE(shown, (QStringList{"ankle boot", "bag", "t-shirt"}));
    QVERIFY2(std::abs(total - 1) < 1e-3, qPrintable(QString::number(total)));
    view.labelsInput()->setText("ankle boot");
    view.classifyFile(png);
    QVERIFY2(view.playgroundStatus()->text().contains("at least two labels"),
             qPrintable(view.playgroundStatus()->text()));
    QSignalSpy stopped(view.server(), &ServeProcess::stopped);
    QTest::mouseClick(view.stopButton(), Qt::LeftButton);
    QVERIFY(stopped.wait(20000));
  }

  void deployedCaptionerCaptionsImages() {
    const qint64 captioner = train("captioner", {REEF_SOURCE_DIR "/resources/examples/multimodal/captioner.yaml",
                                                 "--set", "model.freeze_image_encoder=false", "--set", "model.dim=32",
                                                 "--set", "model.layers=1", "--set", "trainer.max_steps=10", "--set",
                                                 "trainer.val_interval=10", "--set", "trainer.limit_val_batches=1"});
    QVERIFY(captioner != 0);
    const QString png = QString::fromStdString((test::dataRoot() / "multimodal/emoji/2764-fe0f.png").string());
    QProcess cli;
    cli.start(REEF_BINARY, {"caption", dir_.filePath("runs/captioner"), png});
    QVERIFY(cli.waitForFinished(60000) && cli.exitCode() == 0);
    const QString expected = QString::fromUtf8(cli.readAllStandardOutput()).trimmed();
    DeployView view(*session_, &catalog_, REEF_BINARY);
    view.setRun(captioner);
    QVERIFY2(view.deployButton()->isEnabled(), "the catalog says the captioner serves captioning");
    QSignalSpy started(view.server(), &ServeProcess::started);
    QTest::mouseClick(view.deployButton(), Qt::LeftButton);
    QVERIFY(started.wait(60000));
    QVERIFY(view.curlSnippet()->toPlainText().contains("\"image_url\""));
    QVERIFY(view.pythonSnippet()->toPlainText().contains("client.chat.completions.create"));
    CaptionPage* page = view.captionPage();
    QSignalSpy captioned(page, &CaptionPage::captioned);
    page->captionFile(png);
    QVERIFY2(captioned.wait(30000), qPrintable(view.playgroundStatus()->text()));
    QCOMPARE(page->caption()->text(), expected);
    QVERIFY2(view.playgroundStatus()->text().startsWith("Captioned in"), qPrintable(view.playgroundStatus()->text()));
    // Dropped from a file manager: the same image, the same caption.
    page->caption()->clear();
    QMimeData mime;
    mime.setUrls({QUrl::fromLocalFile(png)});
    QDragEnterEvent enter(QPoint(10, 10), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
    QApplication::sendEvent(page, &enter);
    QVERIFY(enter.isAccepted());
    QDropEvent drop(QPointF(10, 10), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
    QApplication::sendEvent(page, &drop);
    QVERIFY2(captioned.wait(30000), qPrintable(view.playgroundStatus()->text()));
    QCOMPARE(page->caption()->text(), expected);
    // A file that is not an image: the server's 400 in the status line.
    page->captionFile(QString(REEF_SOURCE_DIR "/README.md"));
    QTRY_VERIFY2_WITH_TIMEOUT(view.playgroundStatus()->text().contains("image_url part is not a PNG"),
                              qPrintable(view.playgroundStatus()->text()), 20000);
    QSignalSpy stopped(view.server(), &ServeProcess::stopped);
    QTest::mouseClick(view.stopButton(), Qt::LeftButton);
    QVERIFY(stopped.wait(20000));
  }

  void deployedPunctuationModelRestoresText() {
    const qint64 punctuation =
        train("punctuation",
              {REEF_SOURCE_DIR "/resources/examples/nlp/fortunes_punctuation.yaml", "--set", "model.dim=32", "--set",
               "model.depth=1", "--set", "model.heads=2", "--set", "trainer.max_steps=20", "--set",
               "trainer.val_interval=20", "--set", "trainer.limit_val_batches=1", "--set", "data.max_length=64"});
    QVERIFY(punctuation != 0);
    DeployView view(*session_, &catalog_, REEF_BINARY);
    view.setRun(punctuation);
    QSignalSpy started(view.server(), &ServeProcess::started);
    QTest::mouseClick(view.deployButton(), Qt::LeftButton);
    QVERIFY(started.wait(60000));
    QVERIFY(view.curlSnippet()->toPlainText().contains("/v1/punctuate"));
    RestorationPage* page = view.restorationPage();
    QSignalSpy restored(page, &RestorationPage::restored);
    page->input()->setPlainText("where are you going asked the old man i am going home");
    page->restoreButton()->click();
    QVERIFY2(restored.wait(30000), qPrintable(view.playgroundStatus()->text()));
    // Every word is kept; only marks and capitals may change.
    QString words = page->output()->toPlainText().toLower();
    words.remove(QRegularExpression("[,.?]"));
    QCOMPARE(words.simplified(), QString("where are you going asked the old man i am going home"));
    QVERIFY2(view.playgroundStatus()->text().startsWith("Restored 12 words"),
             qPrintable(view.playgroundStatus()->text()));
    QSignalSpy stopped(view.server(), &ServeProcess::stopped);
    QTest::mouseClick(view.stopButton(), Qt::LeftButton);
    QVERIFY(stopped.wait(20000));
    QVERIFY(!page->restoreButton()->isEnabled());
  }

  // Trained here rather than in initTestCase: an aligner (ASR) first, then FastPitch on a few
  // sentences; what they sound like does not matter, only that the page speaks what the server says.
  qint64 trainSpeechSynthesizer() {
    namespace fs = std::filesystem;
    const fs::path data = dir_.filePath("speech").toStdString(), corpus = test::dataRoot() / "speech";
    fs::create_directories(data);
    test::subset(corpus / "asr/train.jsonl", "digits", 200, data / "asr_train.jsonl");
    test::subset(corpus / "asr/val.jsonl", "digits", 8, data / "asr_val.jsonl");
    test::subset(corpus / "tts/train.jsonl", "", 40, data / "tts_train.jsonl");
    test::subset(corpus / "tts/val.jsonl", "", 4, data / "tts_val.jsonl");
    const auto at = [&](const char* name) { return QString::fromStdString((data / name).string()); };
    const QStringList asrData = {"--set", "data.train_manifest=" + at("asr_train.jsonl"),
                                 "--set", "data.val_manifest=" + at("asr_val.jsonl"),
                                 "--set", "data.test_manifest=" + at("asr_val.jsonl")};
    if (train("aligner", QStringList{REEF_SOURCE_DIR "/resources/examples/asr/quartznet_chars.yaml", "--set",
                                     "model.channels=64", "--set", "model.blocks=2", "--set", "model.epilogue=64",
                                     "--set", "trainer.max_steps=20", "--set", "trainer.val_interval=20"} +
                             asrData) == 0)
      return 0;
    return train("voice", {REEF_SOURCE_DIR "/resources/examples/tts/fastpitch.yaml",
                           "--set",
                           "data.aligner=" + dir_.filePath("runs/aligner"),
                           "--set",
                           "data.train_manifest=" + at("tts_train.jsonl"),
                           "--set",
                           "data.val_manifest=" + at("tts_val.jsonl"),
                           "--set",
                           "data.test_manifest=" + at("tts_val.jsonl"),
                           "--set",
                           "model.dim=64",
                           "--set",
                           "model.encoder_layers=1",
                           "--set",
                           "model.decoder_layers=1",
                           "--set",
                           "model.conv_hidden=128",
                           "--set",
                           "model.judged_samples=1",
                           "--set",
                           "model.griffin_lim_iterations=4",
                           "--set",
                           "data.batch_size=8",
                           "--set",
                           "trainer.max_steps=10",
                           "--set",
                           "trainer.val_interval=10"});
  }

  void deployedSpeechSynthesizerSpeaksTypedText() {
    const qint64 voice = trainSpeechSynthesizer();
    QVERIFY(voice != 0);
    DeployView view(*session_, &catalog_, REEF_BINARY);
    view.setRun(voice);
    QVERIFY2(view.deployButton()->isEnabled(), "the catalog says tts serves speech");
    QSignalSpy started(view.server(), &ServeProcess::started);
    QTest::mouseClick(view.deployButton(), Qt::LeftButton);
    QVERIFY(started.wait(60000));
    SynthesisPage* page = view.synthesisPage();
    auto* pages = view.playground()->findChild<QStackedWidget*>("playgroundPages");
    QCOMPARE(pages->currentWidget(), page);  // the page for the catalog's serving mode "speech"
    QVERIFY(page->speakButton()->isEnabled());
    QVERIFY(view.curlSnippet()->toPlainText().contains(view.server()->url().toString() + "/v1/audio/speech"));
    QVERIFY(view.pythonSnippet()->toPlainText().contains("client.audio.speech"));
    QSignalSpy spoken(page, &SynthesisPage::spoken);
    page->input()->setPlainText("please call john at nine. then meet me at the bank.");
    page->speed()->setValue(1.5);
    page->speakButton()->click();
    QVERIFY2(spoken.wait(60000), qPrintable(view.playgroundStatus()->text()));
    QVERIFY2(view.playgroundStatus()->text().contains("first audio after"),
             qPrintable(view.playgroundStatus()->text()));
    // Two sentences and the 0.2 s pause between them, drawn.
    const auto* graph = page->waveform()->waveform();
    QVERIFY(graph->dataCount() > 0);
    QVERIFY2(graph->data()->at(graph->dataCount() - 1)->key > 0.2, qPrintable(view.playgroundStatus()->text()));
    QVERIFY(QFile::exists(page->lastSpeech()));
    // Spoken again, faster: the new speech replaces the old one in the file and on the plot.
    const double first = graph->data()->at(graph->dataCount() - 1)->key;
    page->speed()->setValue(3);
    page->speakButton()->click();
    QVERIFY2(spoken.wait(60000), qPrintable(view.playgroundStatus()->text()));
    QVERIFY2(graph->data()->at(graph->dataCount() - 1)->key < first, qPrintable(view.playgroundStatus()->text()));
    // Nothing to say: the server's 400, naming the field, in the status line.
    page->input()->setPlainText("   ");
    page->speakButton()->click();
    QTRY_VERIFY2_WITH_TIMEOUT(view.playgroundStatus()->text().contains("'input'"),
                              qPrintable(view.playgroundStatus()->text()), 20000);
    QVERIFY(page->speakButton()->isEnabled());
    QSignalSpy stopped(view.server(), &ServeProcess::stopped);
    QTest::mouseClick(view.stopButton(), Qt::LeftButton);
    QVERIFY(stopped.wait(20000));
    QVERIFY(!page->speakButton()->isEnabled());
    QVERIFY(pages->currentWidget() != page);
  }

  void deployedSpeechRecognizerTranscribesAFile() {
    const qint64 asr = session_->index().resolveRun(dir_.filePath("runs/aligner").toStdString());
    QVERIFY2(asr != 0, "runs after deployedSpeechSynthesizerSpeaksTypedText, which trains it");
    DeployView view(*session_, &catalog_, REEF_BINARY);
    view.setRun(asr);
    QSignalSpy started(view.server(), &ServeProcess::started);
    QTest::mouseClick(view.deployButton(), Qt::LeftButton);
    QVERIFY(started.wait(60000));
    TranscriptionPage* page = view.transcriptionPage();
    QCOMPARE(view.playground()->findChild<QStackedWidget*>("playgroundPages")->currentWidget(), page);
    QVERIFY(page->recordButton()->isEnabled());
    QSignalSpy transcribed(page, &TranscriptionPage::transcribed);
    const QString jfk = QString::fromStdString((test::dataRoot() / "speech/samples/jfk.wav").string());
    page->transcribeFile(jfk);
    QVERIFY2(transcribed.wait(60000), qPrintable(view.playgroundStatus()->text()));
    QVERIFY2(view.playgroundStatus()->text().startsWith("11.0 s of audio"),
             qPrintable(view.playgroundStatus()->text()));
    // A request still running when the page leaves its server (as Stop makes it) is abandoned,
    // never shown.
    page->transcribeFile(jfk);
    QVERIFY2(!page->recordButton()->isEnabled(), "one request at a time");
    page->setServer({}, {});
    QTest::qWait(500);
    QCOMPARE(transcribed.count(), 1);
    QVERIFY(page->text()->toPlainText().isEmpty());
    QVERIFY2(!page->recordButton()->isEnabled(), "nothing to send to");
    QSignalSpy stopped(view.server(), &ServeProcess::stopped);
    QTest::mouseClick(view.stopButton(), Qt::LeftButton);
    QVERIFY(stopped.wait(20000));
  }
};

QTEST_MAIN(TestDeployView)
#include "tst_deploy_view.moc"
