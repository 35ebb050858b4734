#pragma once
// Which Qt Multimedia backend the studio loads: Qt picks it once, when anything (a player, a
// recorder, the list of devices) first needs Qt Multimedia, so each calls this before.
namespace reef::ui {

// Qt 6.4 picks its GStreamer backend, which crashes constructing a player where gst-plugins-base
// is not installed (libqt6multimedia6 does not depend on it); its FFmpeg backend, Qt's default
// from 6.5, needs only libraries Qt Multimedia itself links. Keeps the person's QT_MEDIA_BACKEND.
void preferFfmpegBackend();

}  // namespace reef::ui
