#include "ui/audio/media_backend.h"

#include <QByteArray>
#include <QtGlobal>

namespace reef::ui {

void preferFfmpegBackend() {
#if QT_VERSION < QT_VERSION_CHECK(6, 5, 0)
  if (!qEnvironmentVariableIsSet("QT_MEDIA_BACKEND")) qputenv("QT_MEDIA_BACKEND", "ffmpeg");
#endif
}

}  // namespace reef::ui
