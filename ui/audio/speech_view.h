#pragma once
// The speech samples of a run, to listen to and to look at: a recognizer's transcriptions (the
// hypothesis beside its reference, each word error marked, the worst first), a synthesizer's
// sentences (and the recordings they imitate), or any NeMo manifest's dataset
// samples. The selected sample's waveform and log-mel spectrogram are drawn from one reading of
// its file; Play plays it through Qt Multimedia. Whatever cannot be read is said in the view.
#include "ui/audio/speech_samples.h"

#include <QWidget>

#include <vector>

class QComboBox;
class QLabel;
class QMediaPlayer;
class QPushButton;
class QTableWidget;

namespace reef::ui {

class AudioPlayer;
class SpectrogramPlot;
class WaveformPlot;

class SpeechView : public QWidget {
  Q_OBJECT
 public:
  enum Column { AudioColumn, ReferenceColumn, HypothesisColumn, WerColumn };
  // The hypothesis cell's marked-up rich text (its display text is the plain hypothesis).
  static constexpr int HypothesisHtmlRole = Qt::UserRole + 1;

  explicit SpeechView(QWidget* parent = nullptr);
  // A run's artifacts (empty: it has none of that kind). The first present is shown; the same
  // files again change nothing, so a periodic refresh keeps the selection and what is playing.
  void setArtifacts(const QString& transcriptions, const QString& synthesized);
  // Adds a NeMo manifest as a source and shows it (what "Open manifest…" does after its dialog).
  void openManifest(const QString& file);

  QComboBox* sources() const { return sources_; }
  QTableWidget* table() const { return table_; }
  WaveformPlot* waveform() const { return waveform_; }
  SpectrogramPlot* spectrogram() const { return spectrogram_; }
  QPushButton* playButton() const { return play_; }
  QPushButton* playReferenceButton() const { return playReference_; }
  QLabel* status() const { return status_; }
  // Null until something is first played: the multimedia backend starts only when needed.
  QMediaPlayer* player() const;

 private:
  enum class Kind { Transcriptions, Synthesized, Manifest };
  void addSource(Kind kind, const QString& label, const QString& file);
  void load(int source);
  void select(int row);
  bool showAudio(const QString& audioFile);  // draws the waveform and spectrogram; false on an error
  void toggle(const QString& audioFile);
  void updateButtons();
  void showError(const QString& message);

  QString transcriptions_, synthesized_;
  std::vector<SpeechSample> samples_;
  QString shown_;  // the audio file the plots show
  QComboBox* sources_;
  QLabel* legend_;
  QTableWidget* table_;
  QPushButton* play_;
  QPushButton* playReference_;
  WaveformPlot* waveform_;
  SpectrogramPlot* spectrogram_;
  QLabel* status_;
  AudioPlayer* player_;
};

}  // namespace reef::ui
