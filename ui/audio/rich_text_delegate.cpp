#include "ui/audio/rich_text_delegate.h"

#include <QAbstractTextDocumentLayout>
#include <QApplication>
#include <QPainter>
#include <QTextDocument>

#include <algorithm>

namespace reef::ui {

RichTextDelegate::RichTextDelegate(int role, QString styleSheet, QObject* parent)
    : QStyledItemDelegate(parent), role_(role), styleSheet_(std::move(styleSheet)) {}

void RichTextDelegate::layOut(QTextDocument& document, const QStyleOptionViewItem& option,
                              const QModelIndex& index) const {
  document.setDefaultFont(option.font);
  document.setDefaultStyleSheet(styleSheet_);
  document.setHtml(index.data(role_).toString());
  document.setTextWidth(option.rect.width() > 0 ? option.rect.width() : -1);
}

void RichTextDelegate::paint(QPainter* painter, const QStyleOptionViewItem& option, const QModelIndex& index) const {
  QStyleOptionViewItem opt = option;
  initStyleOption(&opt, index);
  // The cell's background and selection as usual, the text drawn by the document instead.
  opt.text.clear();
  const QStyle* style = opt.widget ? opt.widget->style() : QApplication::style();
  style->drawControl(QStyle::CE_ItemViewItem, &opt, painter, opt.widget);
  QTextDocument document;
  layOut(document, option, index);
  QAbstractTextDocumentLayout::PaintContext context;
  context.palette = opt.palette;
  if (opt.state & QStyle::State_Selected)
    context.palette.setColor(QPalette::Text, opt.palette.color(QPalette::Active, QPalette::HighlightedText));
  painter->save();
  // Vertically centred, as the plain-text cells beside it.
  const QPoint origin = option.rect.topLeft() +
                        QPoint(0, std::max(0, option.rect.height() - static_cast<int>(document.size().height())) / 2);
  painter->translate(origin);
  painter->setClipRect(option.rect.translated(-origin));
  document.documentLayout()->draw(painter, context);
  painter->restore();
}

QSize RichTextDelegate::sizeHint(const QStyleOptionViewItem& option, const QModelIndex& index) const {
  QTextDocument document;
  layOut(document, option, index);
  return {static_cast<int>(document.idealWidth()), static_cast<int>(document.size().height())};
}

}  // namespace reef::ui
