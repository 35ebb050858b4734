#pragma once
// A spin box for a schema integer that must be odd (a kernel centred on each position): the
// arrows step from odd to odd, an even number typed is not taken, and one left in the box becomes
// the odd number above it. A special minimum (0: none) is kept as it is.
#include <QSpinBox>

namespace reef::ui {

class OddSpinBox : public QSpinBox {
 public:
  using QSpinBox::QSpinBox;
  void stepBy(int steps) override;

 protected:
  QValidator::State validate(QString& text, int& pos) const override;
  void fixup(QString& input) const override;

 private:
  bool allowed(int value) const;
};

}  // namespace reef::ui
