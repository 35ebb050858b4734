#pragma once
// The Playground for a captioner: open or drop an image, send it to the running server's
// /v1/chat/completions as a vision chat client does (an image_url content part with a data: URL),
// and show the image with the caption the model wrote.
#include "ui/deploy/playground_page.h"

class QLabel;
class QPushButton;

namespace reef::ui {

class CaptionPage : public PlaygroundPage {
  Q_OBJECT
 public:
  CaptionPage(QNetworkAccessManager* network, QWidget* parent = nullptr);
  // What "Open image..." does after its dialog, and what dropping an image file does.
  void captionFile(const QString& path);

  QLabel* caption() const { return caption_; }

 Q_SIGNALS:
  void captioned(const QString& caption);

 protected:
  void serverChanged() override;
  void updateControls() override;
  void dragEnterEvent(QDragEnterEvent* event) override;
  void dropEvent(QDropEvent* event) override;

 private:
  QPushButton* open_;
  QLabel* image_;
  QLabel* caption_;
};

}  // namespace reef::ui
