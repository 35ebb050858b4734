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

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <fstream>
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
    fifo_ = fifo.toStdString();
  }
  ~PulseMicrophone() {
    if (speaker_.joinable()) speaker_.join();
    server_.kill();
    server_.waitForFinished();
  }
  // Why there is no microphone, or "".
  QString error() const { return error_; }

  // Says `samples` (at kRate) into the microphone in the background, after `leadSeconds` of
  // silence and followed by as much, at the pace of real speech.
  void say(const std::vector<float>& samples, double leadSeconds) {
    const size_t lead = static_cast<size_t>(leadSeconds * kRate);
    std::vector<int16_t> pcm(lead, 0);
    for (float s : samples) pcm.push_back(static_cast<int16_t>(std::lround(std::clamp(s, -1.f, 1.f) * 32767)));
    pcm.insert(pcm.end(), lead, 0);
    speaker_ = std::thread([fifo = fifo_, pcm = std::move(pcm)] {
      std::ofstream out(fifo, std::ios::binary);
      for (size_t at = 0; at < pcm.size(); at += kRate / 10) {
        const size_t n = std::min<size_t>(kRate / 10, pcm.size() - at);
        out.write(reinterpret_cast<const char*>(pcm.data() + at), static_cast<std::streamsize>(n * 2));
        out.flush();
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
    });
  }
  // Waits until everything said has been written into the pipe.
  void finish() {
    if (speaker_.joinable()) speaker_.join();
  }

 private:
  QTemporaryDir dir_;
  QProcess server_;
  QString error_;
  std::string fifo_;
  std::thread speaker_;
};

}  // namespace reef::test
