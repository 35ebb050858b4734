#pragma once
// What an empty workspace opens on (and Help > Getting started shows): one card per collection's
// first run, each opening its example in the designer, and the way on to the studio.
#include "ui/welcome/first_runs.h"

#include <QList>
#include <QWidget>

class QPushButton;

namespace reef::ui {

class WelcomePage : public QWidget {
  Q_OBJECT
 public:
  // `unavailable`: why examples cannot be opened (the engine's catalog could not be read), or empty.
  WelcomePage(const QList<FirstRun>& runs, const QString& unavailable, QWidget* parent = nullptr);

  QList<QPushButton*> cardButtons() const { return buttons_; }
  QPushButton* skipButton() const { return skip_; }

 signals:
  void openExample(QString path);
  void skip();

 private:
  QWidget* card(const FirstRun& run, bool enabled);

  QList<QPushButton*> buttons_;
  QPushButton* skip_;
};

}  // namespace reef::ui
