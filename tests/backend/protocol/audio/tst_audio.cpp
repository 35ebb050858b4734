// The speech contracts shared by the engine and the studio: word/character error rates and their
// alignment, manifests (with broken ones), WAV round trips and resampling, the mel filterbank and
// the reference log-mel spectrogram.
#include "backend/protocol/audio/audio_file.h"
#include "backend/protocol/audio/mel_spectrogram.h"
#include "backend/protocol/audio/speech_manifest.h"
#include "backend/protocol/audio/word_errors.h"

#include <QTemporaryDir>
#include <QtTest>

#include <cmath>
#include <fstream>

using namespace reef::protocol::audio;

namespace {

std::vector<float> sine(double hz, double seconds, int rate, float amplitude = 0.5f) {
  std::vector<float> s(static_cast<size_t>(seconds * rate));
  for (size_t i = 0; i < s.size(); ++i) s[i] = amplitude * static_cast<float>(std::sin(2 * M_PI * hz * i / rate));
  return s;
}

// Frequency of the strongest DFT bin between 50 Hz and rate/2, by brute force.
double dominantHz(const std::vector<float>& s, int rate) {
  double bestHz = 0, best = -1;
  for (double hz = 50; hz < rate / 2.0; hz += 5) {
    double re = 0, im = 0;
    for (size_t i = 0; i < s.size(); i += 1) {
      re += s[i] * std::cos(2 * M_PI * hz * i / rate);
      im += s[i] * std::sin(2 * M_PI * hz * i / rate);
    }
    if (re * re + im * im > best) best = re * re + im * im, bestHz = hz;
  }
  return bestHz;
}

void writeText(const QString& path, const std::string& text) { std::ofstream(path.toStdString()) << text; }

}  // namespace

class TestAudio : public QObject {
  Q_OBJECT
 private Q_SLOTS:
  void wordErrorsCountEachKind() {
    const auto c = wordErrors("the cat sat on the mat", "the cat sit on the mat today");
    QCOMPARE(c.referenceLength, int64_t(6));
    QCOMPARE(c.substitutions, int64_t(1));  // sat -> sit
    QCOMPARE(c.insertions, int64_t(1));     // today
    QCOMPARE(c.deletions, int64_t(0));
    const auto d = wordErrors("a b c d", "a c d");
    QCOMPARE(d.deletions, int64_t(1));
    QCOMPARE(d.errors(), int64_t(1));
    QCOMPARE(d.rate(), 0.25);
    QCOMPARE(wordErrors("a b c", "a b c").rate(), 0.0);
    QCOMPARE(wordErrors("a b", "").rate(), 1.0);
    QCOMPARE(wordErrors("", "").rate(), 0.0);
    QCOMPARE(wordErrors("", "x y").rate(), 2.0);
    QCOMPARE(wordErrors("one two", "one  two ").errors(), int64_t(0));  // spacing is not an error
  }

  void alignmentMarksWhereTheErrorsAre() {
    const auto a = align(words("call john at nine"), words("call jon at at nine"));
    QCOMPARE(a.size(), size_t(5));
    QCOMPARE(int(a[1].op), int(EditOp::Substitution));
    QCOMPARE(a[1].reference, std::string("john"));
    QCOMPARE(a[1].hypothesis, std::string("jon"));
    QCOMPARE(int(a[2].op), int(EditOp::Insertion));  // either "at" is the extra one: the first, here
    QCOMPARE(a[2].hypothesis, std::string("at"));
    QCOMPARE(int(a[3].op), int(EditOp::Correct));
    QCOMPARE(int(a[4].op), int(EditOp::Correct));
    const auto d = align(words("a b c"), words("a c"));
    QCOMPARE(int(d[1].op), int(EditOp::Deletion));
    QCOMPARE(d[1].reference, std::string("b"));
  }

  void characterErrorsCountCodePoints() {
    QCOMPARE(characterErrors("kitten", "sitting").errors(), int64_t(3));
    QCOMPARE(characterErrors("kitten", "sitting").referenceLength, int64_t(6));
    QCOMPARE(characterErrors("café", "cafe").errors(), int64_t(1));  // é is one character
    QCOMPARE(characterErrors("ab  cd", "ab cd").errors(), int64_t(0));
  }

  void manifestsResolvePathsAndNameBadLines() {
    QTemporaryDir dir;
    const QString good = dir.filePath("m.jsonl");
    writeText(good,
              "{\"audio_filepath\": \"a/1.wav\", \"duration\": 1.5, \"text\": \"hello\", \"speaker\": \"s1\", "
              "\"kind\": \"x\"}\n\n"
              "{\"audio_filepath\": \"/abs/2.wav\", \"duration\": 2, \"text\": \"world\"}\n");
    const auto entries = readManifest(good.toStdString());
    QCOMPARE(entries.size(), size_t(2));
    QCOMPARE(entries[0].audio, std::filesystem::path(dir.filePath("a/1.wav").toStdString()));
    QCOMPARE(entries[0].speaker, std::string("s1"));
    QCOMPARE(entries[0].extra["kind"].get<std::string>(), std::string("x"));
    QCOMPARE(entries[1].audio, std::filesystem::path("/abs/2.wav"));
    const std::vector<std::pair<std::string, std::string>> broken{
        {"{\"audio_filepath\": \"a.wav\", \"duration\": 1}\n", "needs \"text\""},
        {"{\"audio_filepath\": \"a.wav\", \"duration\": -1, \"text\": \"x\"}\n", "needs \"duration\""},
        {"{\"duration\": 1, \"text\": \"x\"}\n", "needs \"audio_filepath\""},
        {"{\"audio_filepath\": \"a.wav\", \"duration\": 1, \"text\": \"x\"}\nnot json\n", ":2: not JSON"},
    };
    for (const auto& [text, message] : broken) {
      writeText(dir.filePath("bad.jsonl"), text);
      try {
        readManifest(dir.filePath("bad.jsonl").toStdString());
        QFAIL(("accepted: " + text).c_str());
      } catch (const std::runtime_error& e) {
        QVERIFY2(std::string(e.what()).find(message) != std::string::npos, e.what());
      }
    }
    QVERIFY_THROWS_EXCEPTION(std::runtime_error, readManifest(dir.filePath("missing.jsonl").toStdString()));
  }

  void wavFilesRoundTripAndResample() {
    QTemporaryDir dir;
    const auto path = dir.filePath("tone.wav").toStdString();
    const auto tone = sine(440, 0.5, 22050);
    writeWav(path, tone, 22050);
    const auto same = readAudio(path);
    QCOMPARE(same.sampleRate, 22050);
    QCOMPARE(same.samples.size(), tone.size());
    for (size_t i = 0; i < tone.size(); i += 97) QVERIFY(std::abs(same.samples[i] - tone[i]) < 1e-4f);
    const auto resampled = readAudio(path, 16000);
    QCOMPARE(resampled.sampleRate, 16000);
    QVERIFY(std::abs(static_cast<double>(resampled.samples.size()) - 8000) <= 2);
    QCOMPARE(dominantHz(resampled.samples, 16000), 440.0);
    writeText(dir.filePath("noise.wav"), "RIFF but not really");
    QVERIFY_THROWS_EXCEPTION(std::runtime_error, readAudio(dir.filePath("noise.wav").toStdString()));
  }

  void uploadedBytesDecodeAsTheFileDoes() {
    QTemporaryDir dir;
    const auto path = dir.filePath("tone.wav").toStdString();
    writeWav(path, sine(440, 0.5, 22050), 22050);
    std::ifstream in(path, std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const auto fromFile = readAudio(path, 16000), fromBytes = decodeAudio(bytes, 16000);
    QCOMPARE(fromBytes.sampleRate, 16000);
    QCOMPARE(fromBytes.samples, fromFile.samples);
    for (const std::string& bad : {std::string(), std::string("RIFF but not really"), bytes.substr(0, 44)}) {
      try {
        decodeAudio(bad);
        QFAIL("decoded bytes that are not audio");
      } catch (const std::runtime_error& e) {
        QVERIFY2(std::string(e.what()).find("audio") != std::string::npos, e.what());
      }
    }
  }

  // What /v1/audio/speech sends: a WAV or FLAC made in memory, or a WAV streamed as a header
  // without sizes and 16-bit samples, hold the samples writeWav writes.
  void encodedAudioHoldsWhatWriteWavWrites() {
    QTemporaryDir dir;
    const auto path = dir.filePath("tone.wav").toStdString();
    auto tone = sine(440, 0.25, 16000);
    tone[10] = 1.5f;  // clipped, as writeWav clips
    tone[11] = -1.5f;
    writeWav(path, tone, 16000);
    const auto written = readAudio(path);
    QCOMPARE(decodeAudio(encodeAudio(tone, 16000, "wav")).samples, written.samples);
    const auto flac = decodeAudio(encodeAudio(tone, 16000, "flac"));
    QCOMPARE(flac.sampleRate, 16000);
    QCOMPARE(flac.samples, written.samples);
    const std::string header = wavStreamHeader(16000), raw = pcm16(tone);
    QCOMPARE(header.size(), size_t{44});
    QCOMPARE(raw.size(), 2 * tone.size());
    const auto streamed = decodeAudio(header + raw);
    QCOMPARE(streamed.sampleRate, 16000);
    QCOMPARE(streamed.samples, written.samples);
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, encodeAudio(tone, 16000, "mp3"));
  }

  void melScaleAndFilterbank() {
    QCOMPARE(hzToMel(1000), 15.0);  // Slaney: linear to 1 kHz at 200/3 Hz per mel
    QVERIFY(std::abs(melToHz(hzToMel(4321)) - 4321) < 1e-6);
    MelOptions o;
    const auto bank = melFilterbank(o);
    QCOMPARE(bank.size(), size_t(80 * 257));
    for (float w : bank) QVERIFY(w >= 0);
    MelOptions bad;
    bad.nFft = 500;
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, melFilterbank(bad));
  }

  void aSinesEnergyLandsInItsMelBin() {
    MelOptions o;
    const auto s = sine(1000, 1.0, 16000);
    const auto mel = logMelSpectrogram(s, o);
    const int64_t frames = frameCount(static_cast<int64_t>(s.size()), o);
    QCOMPARE(frames, int64_t(101));
    QCOMPARE(mel.size(), size_t(frames * 80));
    // The bin whose centre is nearest 1 kHz: centres are evenly spaced in mel from f_min to f_max.
    int expected = 0;
    double nearest = 1e9;
    for (int m = 0; m < 80; ++m) {
      const double centre = melToHz(hzToMel(0) + (hzToMel(8000) - hzToMel(0)) * (m + 1) / 81.0);
      if (std::abs(centre - 1000) < nearest) nearest = std::abs(centre - 1000), expected = m;
    }
    const float* middle = &mel[50 * 80];
    QCOMPARE(int(std::max_element(middle, middle + 80) - middle), expected);
  }
};

QTEST_APPLESS_MAIN(TestAudio)
#include "tst_audio.moc"
