// events.jsonl: whole flushed lines with v/t/time, and a reader that follows by byte offset and
// never consumes a half-written line.
#include "backend/protocol/event_log.h"

#include <QtTest>

#include <sys/resource.h>

#include <csignal>
#include <filesystem>
#include <fstream>

using namespace reef;
using namespace reef::protocol;

class TestEventLog : public QObject {
  Q_OBJECT
  QTemporaryDir dir_;
  std::filesystem::path path() const { return std::filesystem::path(dir_.path().toStdString()) / "events.jsonl"; }

 private Q_SLOTS:
  void init() { std::filesystem::remove(path()); }

  void writesVersionTypeAndTime() {
    {
      EventWriter w(path());
      w.write("metric", {{"step", 3}, {"values", {{"train/loss", 0.5}}}});
    }
    auto events = readEvents(path());
    QCOMPARE(events.size(), size_t(1));
    QCOMPARE(events[0]["v"].get<int>(), 1);
    QCOMPARE(events[0]["t"].get<std::string>(), std::string("metric"));
    QVERIFY(events[0]["time"].get<double>() > 1.7e9);
    QCOMPARE(events[0]["values"]["train/loss"].get<double>(), 0.5);
  }

  void readerWaitsForTheRestOfAPartialLine() {
    {
      EventWriter w(path());
      w.write("run_started");
    }
    const auto completeBytes = std::filesystem::file_size(path());
    {
      std::ofstream out(path(), std::ios::app);
      out << "{\"v\":1,\"t\":\"metric\",\"time\":1.0,\"st";
    }
    EventReader reader(path());
    auto first = reader.poll();
    QCOMPARE(first.size(), size_t(1));
    const uint64_t offset = reader.offset();
    QCOMPARE(offset, uint64_t(completeBytes));
    QVERIFY(reader.poll().empty());
    {
      std::ofstream out(path(), std::ios::app);
      out << "ep\":7}"
          << "\n";
    }
    auto second = reader.poll();
    QCOMPARE(second.size(), size_t(1));
    QCOMPARE(second[0]["step"].get<int>(), 7);
    // A new reader resumed from a stored offset sees only what came after it.
    EventReader resumed(path(), offset);
    QCOMPARE(resumed.poll().size(), size_t(1));
  }

  void malformedCompleteLinesAreCountedAndSkipped() {
    {
      std::ofstream out(path());
      out << "not json\n[1,2]\n"
          << "{\"v\":1,\"t\":\"log\",\"time\":2}"
          << "\n";
    }
    EventReader reader(path());
    auto events = reader.poll();
    QCOMPARE(events.size(), size_t(1));
    QCOMPARE(reader.malformedLines(), uint64_t(2));
  }

  void appendsAcrossWriters() {
    { EventWriter(path()).write("run_started"); }
    { EventWriter(path()).write("run_started", {{"resumed_from_step", 10}}); }
    auto events = readEvents(path());
    QCOMPARE(events.size(), size_t(2));
    QCOMPARE(events[1]["resumed_from_step"].get<int>(), 10);
  }

  // A writer killed mid-line left half an event: the next session's first event must not be glued
  // to it (a resumed run's run_started would be lost, and its replayed steps counted twice).
  void aNewWriterCutsTheUnfinishedLastLine() {
    { EventWriter(path()).write("run_started"); }
    {
      std::ofstream out(path(), std::ios::app);
      out << "{\"v\":1,\"t\":\"run_finished\",\"sta";
    }
    { EventWriter(path()).write("run_started", {{"resumed_from_step", 50}}); }
    EventReader reader(path());
    const auto events = reader.poll();
    QCOMPARE(events.size(), size_t(2));
    QCOMPARE(events[1]["resumed_from_step"].get<int>(), 50);
    QCOMPARE(reader.malformedLines(), uint64_t(0));
  }

  // A full disk: the line that does not fit is taken back whole, and the stream stays readable.
  void aLineThatCannotBeWrittenWholeIsTakenBack() {
    EventWriter w(path());
    w.write("run_started");
    const auto size = std::filesystem::file_size(path());
    rlimit old{};
    ::getrlimit(RLIMIT_FSIZE, &old);
    const auto previous = std::signal(SIGXFSZ, SIG_IGN);  // the write then fails with EFBIG
    rlimit tight = old;
    tight.rlim_cur = size + 10;
    ::setrlimit(RLIMIT_FSIZE, &tight);
    QString error;
    try {
      w.write("log", {{"message", std::string(200, 'x')}});
    } catch (const std::runtime_error& e) {
      error = e.what();
    }
    ::setrlimit(RLIMIT_FSIZE, &old);
    std::signal(SIGXFSZ, previous);
    QVERIFY2(error.contains("events.jsonl"), qPrintable(error));
    QCOMPARE(std::filesystem::file_size(path()), size);
    w.write("run_finished", {{"status", "completed"}});
    QCOMPARE(readEvents(path()).size(), size_t(2));
  }

  void nonFiniteValuesBecomeNull() {
    { EventWriter(path()).write("metric", {{"values", {{"train/grad_norm", std::nan("")}}}}); }
    auto events = readEvents(path());
    QCOMPARE(events.size(), size_t(1));
    QVERIFY(events[0]["values"]["train/grad_norm"].is_null());
  }

  void unwritablePathIsAnError() {
    QVERIFY_THROWS_EXCEPTION(std::runtime_error, EventWriter("/nonexistent-dir/events.jsonl"));
  }
};

QTEST_APPLESS_MAIN(TestEventLog)
#include "tst_event_log.moc"
