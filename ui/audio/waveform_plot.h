#pragma once
// The samples of one audio over time, amplitude in [-1, 1].
#include <qcustomplot.h>

namespace reef::protocol::audio {
struct Audio;
}

namespace reef::ui {

class WaveformPlot : public QCustomPlot {
  Q_OBJECT
 public:
  explicit WaveformPlot(QWidget* parent = nullptr);
  void setAudio(const protocol::audio::Audio& audio);
  void clear();
  QCPGraph* waveform() const { return graph_; }

 private:
  QCPGraph* graph_;
};

}  // namespace reef::ui
