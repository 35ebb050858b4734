#include "ui/audio/speech_view.h"

#include "backend/protocol/audio/audio_file.h"
#include "backend/protocol/audio/word_errors.h"
#include "ui/audio/audio_player.h"
#include "ui/audio/rich_text_delegate.h"
#include "ui/audio/spectrogram_plot.h"
#include "ui/audio/waveform_plot.h"
#include "ui/audio/word_error_markup.h"

#include <QComboBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QPushButton>
#include <QSplitter>
#include <QTableWidget>
#include <QUrl>
#include <QVBoxLayout>

namespace reef::ui {

namespace {

// The rate the speech collections train at, and the spectrogram's MelOptions default.
constexpr int kSampleRate = 16000;

}  // namespace

SpeechView::SpeechView(QWidget* parent) : QWidget(parent) {
  auto* layout = new QVBoxLayout(this);
  auto* bar = new QHBoxLayout;
  sources_ = new QComboBox(this);
  sources_->setToolTip(tr("Which samples to list"));
  auto* open = new QPushButton(tr("Open manifest…"), this);
  open->setToolTip(tr("List the samples of a NeMo manifest (.jsonl): the dataset as the model reads it"));
  bar->addWidget(new QLabel(tr("Samples:"), this));
  bar->addWidget(sources_, 1);
  bar->addWidget(open);
  layout->addLayout(bar);
  legend_ = new QLabel(wordErrorLegend(), this);
  legend_->setWordWrap(true);
  layout->addWidget(legend_);

  auto* splitter = new QSplitter(Qt::Vertical, this);
  table_ = new QTableWidget(0, 4, splitter);
  table_->setHorizontalHeaderLabels({tr("audio"), tr("reference"), tr("hypothesis"), tr("WER")});
  table_->setEditTriggers(QAbstractItemView::NoEditTriggers);
  table_->setSelectionBehavior(QAbstractItemView::SelectRows);
  table_->setSelectionMode(QAbstractItemView::SingleSelection);
  table_->setWordWrap(true);
  table_->horizontalHeader()->setSectionResizeMode(ReferenceColumn, QHeaderView::Stretch);
  table_->horizontalHeader()->setSectionResizeMode(HypothesisColumn, QHeaderView::Stretch);
  table_->setItemDelegateForColumn(HypothesisColumn,
                                   new RichTextDelegate(HypothesisHtmlRole, wordErrorStyleSheet(), table_));
  // A light selection with dark text: the marks' red and grey stay readable on the selected row.
  QPalette palette = table_->palette();
  const QColor highlight = palette.color(QPalette::Highlight), base = palette.color(QPalette::Base);
  palette.setColor(QPalette::Highlight, QColor::fromRgbF(0.3f * highlight.redF() + 0.7f * base.redF(),
                                                         0.3f * highlight.greenF() + 0.7f * base.greenF(),
                                                         0.3f * highlight.blueF() + 0.7f * base.blueF()));
  palette.setColor(QPalette::HighlightedText, palette.color(QPalette::Text));
  table_->setPalette(palette);

  auto* player = new QWidget(splitter);
  auto* playerLayout = new QVBoxLayout(player);
  playerLayout->setContentsMargins(0, 0, 0, 0);
  auto* buttons = new QHBoxLayout;
  play_ = new QPushButton(tr("Play"), player);
  playReference_ = new QPushButton(tr("Play reference recording"), player);
  playReference_->setToolTip(tr("The recorded sentence the synthesized speech imitates"));
  buttons->addWidget(play_);
  buttons->addWidget(playReference_);
  buttons->addStretch(1);
  playerLayout->addLayout(buttons);
  waveform_ = new WaveformPlot(player);
  spectrogram_ = new SpectrogramPlot(player);
  playerLayout->addWidget(waveform_, 1);
  playerLayout->addWidget(spectrogram_, 2);
  splitter->setStretchFactor(0, 1);
  splitter->setStretchFactor(1, 2);
  layout->addWidget(splitter, 1);

  status_ = new QLabel(this);
  status_->setWordWrap(true);
  status_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  layout->addWidget(status_);

  player_ = new AudioPlayer(this);
  connect(player_, &AudioPlayer::changed, this, &SpeechView::updateButtons);
  connect(player_, &AudioPlayer::failed, this, &SpeechView::showError);
  connect(sources_, &QComboBox::currentIndexChanged, this, &SpeechView::load);
  connect(open, &QPushButton::clicked, this, [this] {
    const QString file = QFileDialog::getOpenFileName(this, tr("Open a speech manifest"), {},
                                                      tr("NeMo manifests (*.jsonl *.json);;All files (*)"));
    if (!file.isEmpty()) openManifest(file);
  });
  connect(table_, &QTableWidget::currentCellChanged, this, [this](int row) { select(row); });
  connect(play_, &QPushButton::clicked, this, [this] {
    if (const int row = table_->currentRow(); row >= 0) toggle(samples_[row].audio);
  });
  connect(playReference_, &QPushButton::clicked, this, [this] {
    if (const int row = table_->currentRow(); row >= 0) toggle(samples_[row].referenceAudio);
  });
  updateButtons();
}

QMediaPlayer* SpeechView::player() const { return player_->player(); }

void SpeechView::setArtifacts(const QString& transcriptions, const QString& synthesized) {
  if (transcriptions == transcriptions_ && synthesized == synthesized_) return;
  transcriptions_ = transcriptions;
  synthesized_ = synthesized;
  const QSignalBlocker quiet(sources_);  // one load below, not one per item
  sources_->clear();
  if (!transcriptions.isEmpty())
    addSource(Kind::Transcriptions, tr("Transcriptions (%1)").arg(QFileInfo(transcriptions).fileName()),
              transcriptions);
  if (!synthesized.isEmpty())
    addSource(Kind::Synthesized, tr("Synthesized speech (%1)").arg(QFileInfo(synthesized).fileName()), synthesized);
  sources_->setCurrentIndex(sources_->count() > 0 ? 0 : -1);
  load(sources_->currentIndex());
}

void SpeechView::openManifest(const QString& file) {
  int index = sources_->findData(file, Qt::UserRole + 1);
  if (index < 0 || sources_->itemData(index).toInt() != static_cast<int>(Kind::Manifest)) {
    addSource(Kind::Manifest, tr("Manifest %1").arg(QFileInfo(file).fileName()), file);
    index = sources_->count() - 1;
  }
  if (index == sources_->currentIndex())
    load(index);  // reread: the file may have changed
  else
    sources_->setCurrentIndex(index);
}

void SpeechView::addSource(Kind kind, const QString& label, const QString& file) {
  sources_->addItem(label, static_cast<int>(kind));
  sources_->setItemData(sources_->count() - 1, file, Qt::UserRole + 1);
  sources_->setItemData(sources_->count() - 1, file, Qt::ToolTipRole);
}

void SpeechView::load(int source) {
  player_->stop();
  table_->setRowCount(0);
  samples_.clear();
  shown_.clear();
  waveform_->clear();
  spectrogram_->clear();
  status_->clear();
  if (source < 0) {
    updateButtons();
    return;
  }
  const auto kind = static_cast<Kind>(sources_->itemData(source).toInt());
  const QString file = sources_->itemData(source, Qt::UserRole + 1).toString();
  try {
    samples_ = kind == Kind::Transcriptions ? readTranscriptions(file)
               : kind == Kind::Synthesized  ? readSynthesizedSpeech(file)
                                            : readManifestSamples(file);
  } catch (const std::exception& e) {
    showError(QString::fromStdString(e.what()));
    updateButtons();
    return;
  }
  bool hypotheses = false;
  const QSignalBlocker quiet(table_);  // selected once, below
  table_->setRowCount(static_cast<int>(samples_.size()));
  for (int r = 0; r < table_->rowCount(); ++r) {
    const SpeechSample& s = samples_[r];
    auto* audio = new QTableWidgetItem(QFileInfo(s.audio).fileName());
    QStringList about{s.audio};
    if (!s.speaker.isEmpty()) about << tr("speaker %1").arg(s.speaker);
    if (s.duration > 0) about << tr("%1 s").arg(s.duration, 0, 'f', 2);
    if (!s.referenceAudio.isEmpty()) about << tr("recorded: %1").arg(s.referenceAudio);
    audio->setToolTip(about.join('\n'));
    table_->setItem(r, AudioColumn, audio);
    table_->setItem(r, ReferenceColumn, new QTableWidgetItem(s.reference));
    if (!s.hypothesis) continue;
    hypotheses = true;
    auto* hypothesis = new QTableWidgetItem(*s.hypothesis);
    hypothesis->setData(HypothesisHtmlRole, markedHypothesis(s.reference, *s.hypothesis));
    table_->setItem(r, HypothesisColumn, hypothesis);
    // The engine's score where it wrote one (its text normalisation is the one that counts).
    const double wer =
        s.wer.value_or(protocol::audio::wordErrors(s.reference.toStdString(), s.hypothesis->toStdString()).rate());
    auto* rate = new QTableWidgetItem(QString("%1%").arg(100 * wer, 0, 'f', 1));
    rate->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
    table_->setItem(r, WerColumn, rate);
  }
  table_->setColumnHidden(HypothesisColumn, !hypotheses);
  table_->setColumnHidden(WerColumn, !hypotheses);
  legend_->setVisible(hypotheses);
  table_->resizeColumnToContents(AudioColumn);
  table_->resizeRowsToContents();
  status_->setText(tr("%n sample(s) from %1", nullptr, static_cast<int>(samples_.size())).arg(file));
  if (!samples_.empty()) table_->setCurrentCell(0, ReferenceColumn);
  select(table_->currentRow());
}

void SpeechView::select(int row) {
  if (row >= 0 && row < static_cast<int>(samples_.size())) showAudio(samples_[row].audio);
  updateButtons();
}

bool SpeechView::showAudio(const QString& audioFile) {
  if (audioFile == shown_) return true;
  try {
    const auto audio = protocol::audio::readAudio(audioFile.toStdString(), kSampleRate);
    waveform_->setAudio(audio);
    spectrogram_->setAudio(audio);
    shown_ = audioFile;
    return true;
  } catch (const std::exception& e) {
    shown_.clear();
    waveform_->clear();
    spectrogram_->clear();
    showError(QString::fromStdString(e.what()));
    return false;
  }
}

void SpeechView::toggle(const QString& audioFile) {
  if (player_->playing(audioFile)) {
    player_->stop();
    return;
  }
  if (!showAudio(audioFile)) return;
  if (const QString why = player_->play(audioFile); !why.isEmpty()) showError(why);
}

void SpeechView::updateButtons() {
  const int row = table_->currentRow();
  const SpeechSample* s = row >= 0 && row < static_cast<int>(samples_.size()) ? &samples_[row] : nullptr;
  const auto playing = [this](const QString& file) { return player_->playing(file); };
  const int source = sources_->currentIndex();
  const bool synthesized = source >= 0 && sources_->itemData(source).toInt() == static_cast<int>(Kind::Synthesized);
  play_->setEnabled(s != nullptr);
  play_->setText(s && playing(s->audio) ? tr("Stop") : synthesized ? tr("Play synthesized speech") : tr("Play"));
  playReference_->setVisible(synthesized);
  playReference_->setEnabled(s && !s->referenceAudio.isEmpty());
  playReference_->setText(
      s && !s->referenceAudio.isEmpty() && playing(s->referenceAudio) ? tr("Stop") : tr("Play reference recording"));
}

void SpeechView::showError(const QString& message) {
  status_->setText("<span style='color:#c22'>" + message.toHtmlEscaped() + "</span>");
}

}  // namespace reef::ui
