#pragma once
// A microphone for the recording tests: a private PulseAudio server (Debian's `pulseaudio`) whose
// only input is a pipe source, so that what the test writes into the pipe is what a QAudioSource
// records, 16 kHz mono 16-bit, as from a real input device. The server lives in a temporary
// directory and this process's PULSE_SERVER points at it; construct it before anything loads Qt
// Multimedia.
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QProcess>
#include <QStandardPaths>
#include <QString>
#include <QTemporaryDir>
#include <QThread>

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdint>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

namespace reef::test {

class PulseMicrophone {
 public:
  static constexpr int kRate = 16000;

  PulseMicrophone() {
    const QString program = QStandardPaths::findExecutable("pulseaudio");
    if (program.isEmpty()) {
      error_ = "pulseaudio is not installed (scripts/install-deps.sh installs it)";
      return;
    }
    const QString socket = dir_.filePath("native"), fifo = dir_.filePath("mic.fifo");
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert("XDG_RUNTIME_DIR", dir_.path());
    env.insert("HOME", dir_.path());  // its cookie and state, not the person's
    server_.setProcessEnvironment(env);
    server_.setProcessChannelMode(QProcess::MergedChannels);
    server_.start(program, {"-n", "--daemonize=no", "--exit-idle-time=-1", "--use-pid-file=no", "--log-target=stderr",
                            "-L", "module-native-protocol-unix auth-anonymous=1 socket=" + socket, "-L",
                            QString("module-pipe-source source_name=reef_test_mic file=%1 format=s16le rate=%2 "
                                    "channels=1")
                                .arg(fifo)
                                .arg(kRate),
                            "-L", "module-null-sink sink_name=reef_test_speaker"});
    QElapsedTimer t;
    t.start();
    while (!(QFile::exists(socket) && QFile::exists(fifo)) && t.elapsed() < 20000 &&
           server_.state() != QProcess::NotRunning)
      QThread::msleep(50);
    if (!QFile::exists(socket) || !QFile::exists(fifo)) {
      server_.waitForFinished(100);
      error_ = "pulseaudio did not start: " + QString::fromUtf8(server_.readAll());
      return;
    }
    qputenv("PULSE_SERVER", ("unix:" + socket).toUtf8());
    std::signal(SIGPIPE, SIG_IGN);  // a server that died fails the write, not the test process
    fifo_ = fifo.toStdString();
  }
  ~PulseMicrophone() {
    quit_ = true;  // a writer blocked on a full pipe gives up
    finish();
    server_.kill();
    server_.waitForFinished();
  }
  // Why there is no microphone, or "".
  QString error() const { return error_; }
  // The sound server dies, as when it crashes or is restarted.
  void killServer() {
    quit_ = true;
    server_.kill();
    server_.waitForFinished();
    finish();
  }

  // Says `samples` (at kRate) into the microphone in the background, after `leadSeconds` of
  // silence and followed by as much, at the pace of real speech. The pipe source reads only while
  // something records: what is not read stays in the pipe for the next recording.
  void say(const std::vector<float>& samples, double leadSeconds) {
    finish();
    const size_t lead = static_cast<size_t>(leadSeconds * kRate);
    std::vector<int16_t> pcm(lead, 0);
    for (float s : samples) pcm.push_back(static_cast<int16_t>(std::lround(std::clamp(s, -1.f, 1.f) * 32767)));
    pcm.insert(pcm.end(), lead, 0);
    speaker_ = std::thread([this, pcm = std::move(pcm)] { write(pcm); });
  }
  // Waits until everything said has been written into the pipe, or the writer gave up.
  void finish() {
    if (speaker_.joinable()) speaker_.join();
  }
  // Why the last say() did not write everything, or "".
  std::string writeError() const { return writeError_; }

 private:
  // 100 ms at a time, each within 5 s or not at all: a pipe nobody reads fails rather than hangs.
  void write(const std::vector<int16_t>& pcm) {
    writeError_.clear();
    const int fd = ::open(fifo_.c_str(), O_WRONLY | O_NONBLOCK);
    if (fd < 0) {
      writeError_ = "cannot open " + fifo_ + " (is pulseaudio still running?)";
      return;
    }
    const char* bytes = reinterpret_cast<const char*>(pcm.data());
    const size_t total = pcm.size() * 2, step = kRate / 10 * 2;
    for (size_t at = 0; at < total && !quit_;) {
      pollfd p{fd, POLLOUT, 0};
      if (::poll(&p, 1, 5000) <= 0) {
        writeError_ = "nothing read the microphone's pipe for 5 s";
        break;
      }
      const ssize_t n = ::write(fd, bytes + at, std::min(step, total - at));
      if (n < 0 && errno != EAGAIN) {
        writeError_ = "writing the microphone's pipe failed: " + std::string(std::strerror(errno));
        break;
      }
      if (n > 0) at += static_cast<size_t>(n);
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    ::close(fd);
  }

  QTemporaryDir dir_;
  QProcess server_;
  QString error_;
  std::string fifo_;
  std::thread speaker_;
  std::atomic<bool> quit_{false};
  std::string writeError_;
};

}  // namespace reef::test
