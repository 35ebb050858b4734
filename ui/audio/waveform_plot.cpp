#include "ui/audio/waveform_plot.h"

#include "backend/protocol/audio/audio_file.h"

#include <algorithm>

namespace reef::ui {

WaveformPlot::WaveformPlot(QWidget* parent) : QCustomPlot(parent) {
  graph_ = addGraph();
  graph_->setPen(QPen(QColor("#1f77b4")));
  xAxis->setLabel(tr("time (s)"));
  yAxis->setLabel(tr("amplitude"));
  yAxis->setRange(-1, 1);
  setMinimumHeight(120);
}

void WaveformPlot::setAudio(const protocol::audio::Audio& audio) {
  // Minutes of audio hold millions of samples, more than a plot is wide: each pixel-sized bucket
  // is drawn as its minimum and maximum, which keeps every peak the ear hears.
  const size_t n = audio.samples.size();
  const size_t buckets = 4000, per = std::max<size_t>(1, n / buckets);
  QVector<double> keys, values;
  keys.reserve(2 * (n / per + 1));
  values.reserve(keys.capacity());
  for (size_t start = 0; start < n; start += per) {
    const auto first = audio.samples.begin() + static_cast<std::ptrdiff_t>(start);
    const auto [low, high] = std::minmax_element(first, first + static_cast<std::ptrdiff_t>(std::min(per, n - start)));
    const double t = static_cast<double>(start) / audio.sampleRate;
    keys << t << t;
    values << *low << *high;
  }
  graph_->setData(keys, values, true);
  xAxis->setRange(0, std::max(audio.seconds(), 1e-3));
  replot();
}

void WaveformPlot::clear() {
  graph_->data()->clear();
  replot();
}

}  // namespace reef::ui
