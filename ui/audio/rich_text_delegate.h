#pragma once
// Draws an item's rich text (the role given) in a table cell, which QTableWidget by itself
// shows as plain text, with a default style sheet for the classes the markup uses.
#include <QStyledItemDelegate>

class QTextDocument;

namespace reef::ui {

class RichTextDelegate : public QStyledItemDelegate {
  Q_OBJECT
 public:
  RichTextDelegate(int role, QString styleSheet, QObject* parent = nullptr);
  void paint(QPainter* painter, const QStyleOptionViewItem& option, const QModelIndex& index) const override;
  QSize sizeHint(const QStyleOptionViewItem& option, const QModelIndex& index) const override;

 private:
  void layOut(QTextDocument& document, const QStyleOptionViewItem& option, const QModelIndex& index) const;
  int role_;
  QString styleSheet_;
};

}  // namespace reef::ui
