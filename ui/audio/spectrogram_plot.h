#pragma once
// The log-mel spectrogram of one audio, the features the speech models see: frames on x (in
// seconds, each at its centre), mel bins on y, natural-log power as colour with its scale.
#include "backend/protocol/audio/mel_spectrogram.h"

#include <qcustomplot.h>

namespace reef::protocol::audio {
struct Audio;
}

namespace reef::ui {

class SpectrogramPlot : public QCustomPlot {
  Q_OBJECT
 public:
  explicit SpectrogramPlot(QWidget* parent = nullptr);
  // The audio's rate replaces the options' sample rate (fMax is clamped to its Nyquist frequency).
  void setAudio(const protocol::audio::Audio& audio, protocol::audio::MelOptions options = {});
  void clear();
  QCPColorMap* colorMap() const { return map_; }
  QCPColorScale* colorScale() const { return scale_; }

 private:
  QCPColorMap* map_;
  QCPColorScale* scale_;
};

}  // namespace reef::ui
