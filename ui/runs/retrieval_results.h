#pragma once
// What `reef retrieve --json` prints, read for the studio's retrieval grid. Pure: tested apart
// from the view.
#include <QByteArray>
#include <QImage>
#include <QString>

#include <vector>

namespace reef::ui {

struct RetrievalResult {
  int rank = 0;
  double score = 0;
  QString text, source, image;  // the item's caption, its source, where its image lives
  QImage picture;
};

// Throws std::runtime_error naming what is missing or broken.
std::vector<RetrievalResult> parseRetrievalResults(const QByteArray& json);

}  // namespace reef::ui
