#include "ui/audio/spectrogram_plot.h"

#include "backend/protocol/audio/audio_file.h"

#include <algorithm>

namespace reef::ui {

SpectrogramPlot::SpectrogramPlot(QWidget* parent) : QCustomPlot(parent) {
  map_ = new QCPColorMap(xAxis, yAxis);
  map_->setGradient(QCPColorGradient::gpThermal);
  map_->setInterpolate(false);
  scale_ = new QCPColorScale(this);
  scale_->setLabel(tr("log mel power"));
  plotLayout()->addElement(0, 1, scale_);
  map_->setColorScale(scale_);
  // The scale as tall as the plot, not the whole widget.
  auto* margins = new QCPMarginGroup(this);
  axisRect()->setMarginGroup(QCP::msBottom | QCP::msTop, margins);
  scale_->setMarginGroup(QCP::msBottom | QCP::msTop, margins);
  xAxis->setLabel(tr("time (s)"));
  yAxis->setLabel(tr("mel bin"));
  setMinimumHeight(160);
}

void SpectrogramPlot::setAudio(const protocol::audio::Audio& audio, protocol::audio::MelOptions options) {
  options.sampleRate = audio.sampleRate;
  options.fMax = std::min(options.fMax, audio.sampleRate / 2.0);
  const std::vector<float> mel = protocol::audio::logMelSpectrogram(audio.samples, options);
  const int bins = options.nMels, frames = static_cast<int>(mel.size() / bins);
  const double hopSeconds = static_cast<double>(options.hop) / options.sampleRate;
  const double last = std::max(frames - 1, 1) * hopSeconds;
  map_->data()->setSize(frames, bins);
  map_->data()->setRange(QCPRange(0, last), QCPRange(0, bins - 1));
  for (int t = 0; t < frames; ++t)
    for (int b = 0; b < bins; ++b) map_->data()->setCell(t, b, mel[static_cast<size_t>(t) * bins + b]);
  map_->rescaleDataRange(true);
  xAxis->setRange(-hopSeconds / 2, last + hopSeconds / 2);
  yAxis->setRange(-0.5, bins - 0.5);
  replot();
}

void SpectrogramPlot::clear() {
  map_->data()->clear();
  replot();
}

}  // namespace reef::ui
