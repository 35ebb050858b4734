// reef serve's continuous batching scheduler, over a scripted GenerationBatch (no model): requests
// join in the order they came as room frees up, each result reaches its own request, a request
// the batch refuses fails alone (and one that cannot fit even alone fails rather than waits), a
// failed step fails the running requests and a new batch serves the next ones, or, when none can
// be made, the waiting ones fail too; after stop() requests are refused at once. The step bell that
// wakes the streams rings after every step and when the worker ends.
#include "backend/export/deploy/served_model/generation_scheduler.h"

#include <QtTest>

#include <atomic>
#include <chrono>
#include <future>
#include <stdexcept>
#include <thread>

using namespace reef;
using engine::GenerationBatch;
using engine::GenerationResult;

namespace {

// Holds up to `room` sequences; each needs as many steps as its prompt has characters, and its
// result's text is its prompt. A prompt "throw" fails add(); a prompt "crash" fails the step.
class ScriptedBatch final : public GenerationBatch {
 public:
  ScriptedBatch(size_t room, std::vector<std::string>& joined) : room_(room), joined_(joined) {}
  bool add(uint64_t id, const std::string& prompt, const engine::SamplingOptions&, engine::TokenCallback) override {
    if (prompt == "throw") throw std::runtime_error("the prompt leaves no room in the context");
    if (running_.size() >= room_) return false;
    joined_.push_back(prompt);
    running_.push_back({id, prompt, prompt.size()});
    return true;
  }
  std::vector<Finished> step() override {
    std::vector<Finished> out;
    std::vector<Sequence> still;
    for (Sequence& s : running_) {
      if (s.prompt == "crash") throw std::runtime_error("model call failed");
      if (--s.left == 0) {
        GenerationResult r;
        r.text = s.prompt;
        out.push_back({s.id, r});
      } else {
        still.push_back(s);
      }
    }
    running_ = still;
    return out;
  }
  size_t running() const override { return running_.size(); }

 private:
  struct Sequence {
    uint64_t id;
    std::string prompt;
    size_t left;
  };
  size_t room_;
  std::vector<std::string>& joined_;
  std::vector<Sequence> running_;
};

struct Outcome {
  std::string text, error;
};

std::future<Outcome> submit(deploy::GenerationScheduler& scheduler, const std::string& prompt) {
  auto promise = std::make_shared<std::promise<Outcome>>();
  scheduler.submit(prompt, {}, {}, [promise](GenerationResult r, std::exception_ptr error) {
    Outcome o{r.text, {}};
    if (error) try {
        std::rethrow_exception(error);
      } catch (const std::exception& e) {
        o.error = e.what();
      }
    promise->set_value(o);
  });
  return promise->get_future();
}

}  // namespace

class TestGenerationScheduler : public QObject {
  Q_OBJECT
 private Q_SLOTS:
  void requestsJoinInOrderAsRoomFrees() {
    std::vector<std::string> joined;
    std::atomic<size_t> widest{0};
    deploy::GenerationScheduler scheduler([&] { return std::make_unique<ScriptedBatch>(2, joined); },
                                          [&](size_t n, size_t, size_t) { widest = std::max(widest.load(), n); });
    // Queued before the worker starts: all wait, then join two at a time, oldest first.
    std::vector<std::future<Outcome>> pending;
    for (const std::string p : {"aaaaaa", "b", "cc", "ddd", "e"}) pending.push_back(submit(scheduler, p));
    std::thread worker([&] { scheduler.run(); });
    std::vector<std::string> texts;
    for (auto& f : pending) texts.push_back(f.get().text);
    scheduler.stop();
    worker.join();
    QCOMPARE(texts, (std::vector<std::string>{"aaaaaa", "b", "cc", "ddd", "e"}));
    QCOMPARE(joined, (std::vector<std::string>{"aaaaaa", "b", "cc", "ddd", "e"}));
    QCOMPARE(widest.load(), size_t(2));
  }

  void failuresStayWithTheirRequests() {
    std::vector<std::string> joined;
    int batches = 0;
    deploy::GenerationScheduler scheduler([&] {
      ++batches;
      return std::make_unique<ScriptedBatch>(4, joined);
    });
    std::thread worker([&] { scheduler.run(); });
    const Outcome refused = submit(scheduler, "throw").get();
    QVERIFY2(refused.error.find("no room") != std::string::npos, refused.error.c_str());
    QCOMPARE(submit(scheduler, "fine").get().text, std::string("fine"));
    QCOMPARE(batches, 1);
    // A failed step: the request in it fails with the step's error, a new batch serves the next.
    const Outcome crashed = submit(scheduler, "crash").get();
    QCOMPARE(crashed.error, std::string("model call failed"));
    QCOMPARE(submit(scheduler, "after").get().text, std::string("after"));
    QCOMPARE(batches, 2);
    scheduler.stop();
    worker.join();
    // After stop(), a request is refused at once rather than left waiting.
    QVERIFY(submit(scheduler, "late").get().error.find("shutting down") != std::string::npos);
  }

  // The streams of running sequences wait for the step bell: it rings after every step, and when
  // the worker ends, so that no stream waits for a step that never comes.
  void theBellRingsAfterEachStepAndAtTheEnd() {
    std::vector<std::string> joined;
    deploy::GenerationScheduler scheduler([&] { return std::make_unique<ScriptedBatch>(2, joined); });
    const uint64_t before = scheduler.steps();
    std::future<Outcome> threeSteps = submit(scheduler, "abc");
    std::thread worker([&] { scheduler.run(); });
    QCOMPARE(threeSteps.get().text, std::string("abc"));
    QTRY_COMPARE(scheduler.steps(), before + 3);  // one ring after each of its three steps
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    QCOMPARE(scheduler.steps(), before + 3);  // none while the worker is idle
    std::thread stream([&] { scheduler.waitForStepAfter(before + 3); });
    scheduler.stop();
    stream.join();
    worker.join();
  }

  void aRequestThatCannotFitFailsInsteadOfWaiting() {
    std::vector<std::string> joined;
    deploy::GenerationScheduler scheduler([&] { return std::make_unique<ScriptedBatch>(0, joined); });
    std::thread worker([&] { scheduler.run(); });
    const Outcome o = submit(scheduler, "never").get();
    QVERIFY2(o.error.find("does not fit") != std::string::npos, o.error.c_str());
    scheduler.stop();
    worker.join();
  }

  void aBatchThatCannotBeRemadeFailsTheWaitingRequests() {
    std::vector<std::string> joined;
    bool first = true;
    deploy::GenerationScheduler scheduler([&]() -> std::unique_ptr<GenerationBatch> {
      if (!first) throw std::runtime_error("out of memory for the KV cache");
      first = false;
      return std::make_unique<ScriptedBatch>(1, joined);
    });
    // "crash" fails its step; "next" waits behind it (room 1) and then has no batch to join.
    auto crashed = submit(scheduler, "crash");
    auto next = submit(scheduler, "next");
    std::thread worker([&] { scheduler.run(); });
    QCOMPARE(crashed.get().error, std::string("model call failed"));
    QCOMPARE(next.get().error, std::string("out of memory for the KV cache"));
    scheduler.stop();
    worker.join();
  }
};

QTEST_GUILESS_MAIN(TestGenerationScheduler)
#include "tst_generation_scheduler.moc"
