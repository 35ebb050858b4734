#pragma once
// Draws a progress bar behind a cell's text where the model gives a fraction in kProgressRole
// (a running run's step of its total), and the plain cell elsewhere.
#include <QStyledItemDelegate>

namespace reef::ui {

class ProgressDelegate : public QStyledItemDelegate {
  Q_OBJECT
 public:
  static constexpr int kProgressRole = Qt::UserRole + 2;

  using QStyledItemDelegate::QStyledItemDelegate;
  void paint(QPainter* painter, const QStyleOptionViewItem& option, const QModelIndex& index) const override;
};

}  // namespace reef::ui
