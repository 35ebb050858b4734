// The studio's speech view: a transcriptions artifact listed with each word error marked, the
// selected sample's log-mel spectrogram (a 1 kHz tone lands in the mel bin centred nearest 1 kHz),
// Play pointing the player at the sample's file (offscreen CI has no sound device, so nothing is
// heard), TTS samples with their reference recordings, a manifest's dataset samples, errors said
// in the view, and the Speech tab of a run's details shown only for runs with speech artifacts.
#include "backend/protocol/audio/audio_file.h"
#include "backend/protocol/audio/mel_spectrogram.h"
#include "storage/workspace_index.h"
#include "tests/ui/studio_fixture.h"
#include "ui/audio/spectrogram_plot.h"
#include "ui/audio/speech_view.h"
#include "ui/audio/word_error_markup.h"
#include "ui/engine_client.h"
#include "ui/runs/run_details.h"
#include "ui/workspace_session.h"

#include <QComboBox>
#include <QLabel>
#include <QMediaPlayer>
#include <QPushButton>
#include <QStandardPaths>
#include <QTabWidget>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QTextBlock>
#include <QTextDocument>
#include <QtTest>

#include <cmath>
#include <fstream>
#include <map>

using namespace reef;
using namespace reef::ui;
namespace audio = reef::protocol::audio;

namespace {

// One second of a 1 kHz sine at 16 kHz.
QString writeTone(const QTemporaryDir& dir, const QString& name) {
  std::vector<float> samples(16000);
  for (size_t i = 0; i < samples.size(); ++i) samples[i] = 0.5f * std::sin(2 * M_PI * 1000.0 * i / 16000.0);
  const QString file = dir.filePath(name);
  audio::writeWav(file.toStdString(), samples, 16000);
  return file;
}

QString writeFile(const QTemporaryDir& dir, const QString& name, const std::string& text) {
  const QString file = dir.filePath(name);
  std::ofstream(file.toStdString()) << text;
  return file;
}

// the cat sat on the mat -> the bat sat the mat today: "cat" substituted, "on" deleted,
// "today" inserted.
std::string predictions(const QString& wav) {
  return R"([{"audio":")" + wav.toStdString() +
         R"(","reference":"the cat sat on the mat","hypothesis":"the bat sat the mat today","wer":0.5,"cer":0.3,"speaker":"s1","duration":1.0}])";
}

// Each word's character format as the table's delegate draws it.
std::map<QString, QTextCharFormat> renderedWords(const QString& html) {
  QTextDocument document;
  document.setDefaultStyleSheet(wordErrorStyleSheet());
  document.setHtml(html);
  std::map<QString, QTextCharFormat> words;
  for (QTextBlock block = document.begin(); block.isValid(); block = block.next())
    for (auto it = block.begin(); !it.atEnd(); ++it)
      for (const QString& word : it.fragment().text().split(' ', Qt::SkipEmptyParts))
        words[word] = it.fragment().charFormat();
  return words;
}

}  // namespace

class TestSpeechView : public QObject {
  Q_OBJECT
 private Q_SLOTS:
  void initTestCase() { QStandardPaths::setTestModeEnabled(true); }

  void transcriptionsMarkErrorsAndDrawTheSample() {
    QTemporaryDir dir;
    const QString wav = writeTone(dir, "tone.wav");
    SpeechView view;
    view.setArtifacts(writeFile(dir, "asr_predictions.json", predictions(wav)), {});
    QVERIFY2(!view.status()->text().contains("color"), qPrintable(view.status()->text()));
    QCOMPARE(view.table()->rowCount(), 1);
    QCOMPARE(view.table()->item(0, SpeechView::ReferenceColumn)->text(), QString("the cat sat on the mat"));
    QCOMPARE(view.table()->item(0, SpeechView::WerColumn)->text(), QString("50.0%"));

    // Exactly the three errors, each where it is.
    const QString html =
        view.table()->item(0, SpeechView::HypothesisColumn)->data(SpeechView::HypothesisHtmlRole).toString();
    QCOMPARE(
        html,
        QString("the <span class='sub'>bat</span><span class='ref'>(cat)</span> sat <span class='del'>on</span> the "
                "mat <span class='ins'>today</span>"));
    const auto words = renderedWords(html);
    const QColor red("#cc2222"), grey("#888888");
    QCOMPARE(words.at("bat").foreground().color(), red);
    QVERIFY(!words.at("bat").fontStrikeOut());
    QCOMPARE(words.at("(cat)").foreground().color(), grey);
    QCOMPARE(words.at("on").foreground().color(), grey);
    QVERIFY(words.at("on").fontStrikeOut());
    QCOMPARE(words.at("today").foreground().color(), red);
    QVERIFY(words.at("today").fontStrikeOut());
    for (const QString correct : {"the", "sat", "mat"}) {
      QVERIFY2(!words.at(correct).fontStrikeOut(), qPrintable(correct));
      QVERIFY2(words.at(correct).foreground().style() == Qt::NoBrush, qPrintable(correct));
    }

    // The first row is selected: its spectrogram is frames x 80 mel bins, loudest at 1 kHz.
    const audio::MelOptions options;
    QCPColorMapData* map = view.spectrogram()->colorMap()->data();
    QCOMPARE(map->keySize(), static_cast<int>(audio::frameCount(16000, options)));
    QCOMPARE(map->valueSize(), 80);
    const int middle = map->keySize() / 2;
    int loudest = 0;
    for (int b = 1; b < map->valueSize(); ++b)
      if (map->cell(middle, b) > map->cell(middle, loudest)) loudest = b;
    // Bin b's triangle peaks at the (b + 1)th of nMels + 2 points evenly spaced in mel.
    const double low = audio::hzToMel(options.fMin), high = audio::hzToMel(options.fMax);
    int nearest = 0;
    for (int b = 1; b < options.nMels; ++b) {
      const auto centre = [&](int bin) { return audio::melToHz(low + (high - low) * (bin + 1) / (options.nMels + 1)); };
      if (std::abs(centre(b) - 1000) < std::abs(centre(nearest) - 1000)) nearest = b;
    }
    QCOMPARE(loudest, nearest);

    view.playButton()->click();
    QVERIFY(view.player());
    QCOMPARE(view.player()->source(), QUrl::fromLocalFile(wav));
    QVERIFY(view.playReferenceButton()->isHidden());
  }

  void errorsAreShownInTheView() {
    QTemporaryDir dir;
    SpeechView view;
    view.setArtifacts(writeFile(dir, "broken.json", R"([{"audio": "a.wav", "reference": )"), {});
    QVERIFY2(view.status()->text().contains("broken.json") && view.status()->text().contains("not JSON"),
             qPrintable(view.status()->text()));
    QCOMPARE(view.table()->rowCount(), 0);
    QVERIFY(!view.playButton()->isEnabled());

    view.setArtifacts(writeFile(dir, "no_reference.json", R"([{"audio": "a.wav", "hypothesis": "a"}])"), {});
    QVERIFY2(view.status()->text().contains("sample 1") && view.status()->text().contains("reference"),
             qPrintable(view.status()->text()));

    const QString missing = dir.filePath("missing.wav");
    view.setArtifacts(writeFile(dir, "missing_audio.json", predictions(missing)), {});
    QCOMPARE(view.table()->rowCount(), 1);
    QVERIFY2(view.status()->text().contains("missing.wav"), qPrintable(view.status()->text()));
    QCOMPARE(view.spectrogram()->colorMap()->data()->keySize(), 0);
  }

  void synthesizedPlayTheSynthesizedAndTheRecordedSentence() {
    QTemporaryDir dir;
    const QString synthesized = writeTone(dir, "synth.wav"), recorded = writeTone(dir, "recorded.wav");
    SpeechView view;
    view.setArtifacts(
        {}, writeFile(dir, "tts_samples.json",
                      R"([{"audio":")" + synthesized.toStdString() + R"(","text":"hello there","reference_audio":")" +
                          recorded.toStdString() + R"(","hypothesis":"hello their"}])"));
    QCOMPARE(view.table()->rowCount(), 1);
    QCOMPARE(view.table()->item(0, SpeechView::WerColumn)->text(),
             QString("50.0%"));  // scored here: the artifact has no wer
    QVERIFY(!view.playReferenceButton()->isHidden());
    view.playButton()->click();
    QCOMPARE(view.player()->source(), QUrl::fromLocalFile(synthesized));
    view.playReferenceButton()->click();
    QCOMPARE(view.player()->source(), QUrl::fromLocalFile(recorded));
  }

  void manifestListsDatasetSamples() {
    QTemporaryDir dir;
    writeTone(dir, "tone.wav");
    SpeechView view;
    view.openManifest(writeFile(dir, "train.jsonl",
                                R"({"audio_filepath": "tone.wav", "duration": 1.0, "text": "a tone"})"
                                "\n"));
    QCOMPARE(view.sources()->count(), 1);
    QCOMPARE(view.table()->rowCount(), 1);
    QCOMPARE(view.table()->item(0, SpeechView::ReferenceColumn)->text(), QString("a tone"));
    QVERIFY(view.table()->isColumnHidden(SpeechView::HypothesisColumn));
    QCOMPARE(view.spectrogram()->colorMap()->data()->valueSize(), 80);
  }

  void runDetailsShowTheSpeechTabForSpeechRuns() {
    QTemporaryDir dir;
    const QString wav = writeTone(dir, "tone.wav");
    const auto speech = test::writeRun(dir.path().toStdString(), "r1", "asr", 0.001, 0.8, 50, "asr/quartznet");
    const auto other = test::writeRun(dir.path().toStdString(), "r2", "cnn", 0.001, 0.8);
    std::filesystem::create_directories(speech / "artifacts");
    std::ofstream(speech / "artifacts/asr_predictions.json") << predictions(wav);
    test::appendEvents(
        speech, R"({"v":1,"t":"artifact","time":1.9e9,"kind":"asr_predictions","path":"artifacts/asr_predictions.json"}
)");
    WorkspaceSession session(dir.path());
    session.index().syncRun(speech.string());
    session.index().syncRun(other.string());
    const protocol::Catalog catalog = loadCatalog(REEF_BINARY);
    RunDetails details(session, &catalog);
    const int tab = details.tabs()->indexOf(details.speech());
    details.setRun(session.index().resolveRun(speech.string()));
    QVERIFY(details.tabs()->isTabVisible(tab));
    QCOMPARE(details.speech()->table()->rowCount(), 1);
    details.setRun(session.index().resolveRun(other.string()));
    QVERIFY(!details.tabs()->isTabVisible(tab));
  }
};

QTEST_MAIN(TestSpeechView)
#include "tst_speech_view.moc"
