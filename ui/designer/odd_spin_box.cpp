#include "ui/designer/odd_spin_box.h"

namespace reef::ui {

bool OddSpinBox::allowed(int value) const {
  return value % 2 != 0 || (!specialValueText().isEmpty() && value == minimum());
}

void OddSpinBox::stepBy(int steps) {
  const int direction = steps > 0 ? 1 : -1;
  int value = this->value();
  for (int taken = 0; taken != steps; taken += direction) {
    int next = value + direction;
    while (next >= minimum() && next <= maximum() && !allowed(next)) next += direction;
    if (next < minimum() || next > maximum()) break;
    value = next;
  }
  setValue(value);
}

QValidator::State OddSpinBox::validate(QString& text, int& pos) const {
  const QValidator::State state = QSpinBox::validate(text, pos);
  if (state != QValidator::Acceptable) return state;
  return allowed(valueFromText(text)) ? state : QValidator::Intermediate;
}

void OddSpinBox::fixup(QString& input) const {
  QSpinBox::fixup(input);
  bool isNumber = false;
  const int value = locale().toInt(input, &isNumber);
  if (!isNumber || allowed(value)) return;
  input = textFromValue(value + 1 <= maximum() ? value + 1 : value - 1);
}

}  // namespace reef::ui
