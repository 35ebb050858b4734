// Continuous batching of a Llama decoder: sequences that join a running batch at different steps,
// with different prompts, limits, stop strings and sampling settings, generate exactly what each
// generates alone; the paged KV cache gives the logits of the contiguous one; a full cache makes a
// sequence wait and a finished or cancelled one returns its blocks.
#include <torch/torch.h>

#include "backend/collections/llm/batched_generation.h"
#include "backend/collections/llm/generation.h"
#include "backend/collections/llm/llama.h"
#include "backend/collections/llm/paged_kv_cache.h"
#include "backend/collections/text/tokenizer.h"
#include "tests/backend/collections/llm/tiny_llama.h"

#include <QtTest>

#include <map>

using namespace reef::llm;
using reef::engine::BatchLimits;
using reef::engine::GenerationBatch;
using reef::llm::testing::kjvTokenizer;
using reef::llm::testing::tinyLlama;
using reef::text::Tokenizer;

namespace {

struct Request {
  std::string prompt;
  SamplingOptions options;
  int joinAtStep = 0;
};

SamplingOptions sampling(int64_t maxTokens, double temperature, uint64_t seed, std::vector<std::string> stop = {}) {
  SamplingOptions o;
  o.maxTokens = maxTokens;
  o.temperature = temperature;
  o.topK = 40;
  o.seed = seed;
  o.stop = std::move(stop);
  return o;
}

// Runs every request through one batch, each joining at its step; returns results by index.
std::map<uint64_t, GenerationResult> runBatched(GenerationBatch& batch, const std::vector<Request>& requests,
                                                std::map<uint64_t, std::string>* streamed = nullptr) {
  std::map<uint64_t, GenerationResult> out;
  size_t next = 0;
  for (int step = 0; out.size() < requests.size() && step < 1000; ++step) {
    while (next < requests.size() && requests[next].joinAtStep <= step) {
      TokenCallback onText;
      if (streamed) onText = [streamed, next](const std::string& piece) { return ((*streamed)[next] += piece), true; };
      if (!batch.add(next, requests[next].prompt, requests[next].options, onText)) break;
      ++next;
    }
    for (auto& f : batch.step()) out[f.id] = f.result;
  }
  return out;
}

}  // namespace

class TestBatchedGeneration : public QObject {
  Q_OBJECT
  Tokenizer tokenizer_;
  LlamaForCausalLM net_{nullptr};

 private Q_SLOTS:
  void initTestCase() {
    torch::set_num_threads(2);
    tokenizer_ = kjvTokenizer();
    torch::manual_seed(3);
    net_ = LlamaForCausalLM(tinyLlama(tokenizer_.vocabSize()));
    net_->eval();
  }

  void pagedCacheGivesTheContiguousLogits() {
    torch::NoGradGuard noGrad;
    const auto& c = net_->config();
    PagedKvCache paged(c.layers, c.kvHeads, c.headDim(), 12, 4, torch::kFloat32);
    const torch::Tensor a = torch::randint(0, 100, {1, 19}), b = torch::randint(0, 100, {1, 7});
    QVERIFY(paged.reserve(7, 20));
    QVERIFY(paged.reserve(9, 8));
    QCOMPARE(paged.freeBlocks(), int64_t(12 - 5 - 2));
    KvCache view;
    view.paged = &paged;
    // Prompts of different lengths run alone, then both decode together at their own positions.
    paged.plan({{7, 0, 18}});
    net_->forward(a.narrow(1, 0, 18), &view);
    paged.plan({{9, 0, 6}});
    net_->forward(b.narrow(1, 0, 6), &view);
    paged.plan({{7, 18, 1}, {9, 6, 1}});
    const torch::Tensor step = net_->forward(torch::cat({a.narrow(1, 18, 1), b.narrow(1, 6, 1)}), &view);
    QVERIFY(torch::allclose(step[0][0], net_->forward(a)[0][18], 1e-5, 1e-5));
    QVERIFY(torch::allclose(step[1][0], net_->forward(b)[0][6], 1e-5, 1e-5));
    paged.release(7);
    paged.release(9);
    QCOMPARE(paged.freeBlocks(), int64_t(12));
  }

  // The CPU decoding kernel reads each row's keys where its blocks hold them; it must give what
  // attention over the gathered keys gives: rows whose lengths are multiples of neither the
  // kernels' four nor their sixteen positions, two query heads per key/value head, and a head size
  // that is a multiple of 16 (the AVX-512 scores, where the CPU has them) or not.
  void decodingAttentionInPlaceEqualsTheGatheredOne_data() {
    QTest::addColumn<int64_t>("d");
    QTest::addColumn<std::vector<int64_t>>("history");
    QTest::newRow("head size 40") << int64_t(40) << std::vector<int64_t>{0, 5, 12};
    QTest::newRow("head size 64") << int64_t(64) << std::vector<int64_t>{0, 5, 12, 16, 37};
  }

  void decodingAttentionInPlaceEqualsTheGatheredOne() {
    QFETCH(int64_t, d);
    QFETCH(std::vector<int64_t>, history);
    torch::NoGradGuard noGrad;
    torch::manual_seed(5);
    const int64_t kvHeads = 2, heads = 4, rows = static_cast<int64_t>(history.size());
    PagedKvCache paged(1, kvHeads, d, 24, 4, torch::kFloat32);
    std::vector<PagedKvCache::Row> step;
    for (size_t r = 0; r < history.size(); ++r) {
      QVERIFY(paged.reserve(r, history[r] + 1));
      step.push_back({r, history[r], 1});
      if (history[r] == 0) continue;
      paged.plan({{r, 0, history[r]}});
      paged.write(0, torch::randn({1, kvHeads, history[r], d}), torch::randn({1, kvHeads, history[r], d}));
    }
    paged.plan(step);
    paged.write(0, torch::randn({rows, kvHeads, 1, d}), torch::randn({rows, kvHeads, 1, d}));
    const torch::Tensor q = torch::randn({rows, heads, 1, d});
    QVERIFY(paged.attendsInPlace(q));
    const torch::Tensor out = paged.attend(0, q, 0.3);
    const auto [keys, values] = paged.gather(0);  // [kvHeads, rows, longest, d]
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t h = 0; h < heads; ++h) {
        const int64_t n = history[static_cast<size_t>(r)] + 1, g = h / (heads / kvHeads);
        const torch::Tensor k = keys[g][r].narrow(0, 0, n), v = values[g][r].narrow(0, 0, n);
        const torch::Tensor expected = torch::softmax(torch::mv(k, q[r][h][0]) * 0.3, 0).matmul(v);
        QVERIFY2(torch::allclose(out[r][h][0], expected, 1e-5, 1e-6),
                 qPrintable(QString("row %1 head %2").arg(r).arg(h)));
      }
  }

  void batchedEqualsOneAtATime_data() {
    QTest::addColumn<double>("temperature");
    QTest::newRow("greedy") << 0.0;
    QTest::newRow("sampled") << 0.9;
  }

  void batchedEqualsOneAtATime() {
    QFETCH(double, temperature);
    std::vector<Request> requests = {
        {"In the beginning", sampling(20, temperature, 1), 0},
        {"And God said", sampling(9, temperature, 2), 0},
        {"", sampling(14, temperature, 3), 2},
        {"The LORD is my shepherd; I shall not want.", sampling(30, temperature, 4), 3},
        {"And", sampling(1, temperature, 5), 3},
        {"Blessed are the meek", sampling(25, temperature, 6), 7},
    };
    // A stop string taken from what the fourth request generates alone.
    const GenerationResult plain = generate(net_, tokenizer_, requests[3].prompt, requests[3].options);
    QVERIFY(plain.text.size() > 8);
    requests[3].options.stop = {plain.text.substr(plain.text.size() / 2, 3)};
    BatchedGeneration batch(net_, tokenizer_, BatchLimits{4, 0});
    std::map<uint64_t, std::string> streamed;
    const auto together = runBatched(batch, requests, &streamed);
    QCOMPARE(together.size(), requests.size());
    for (size_t i = 0; i < requests.size(); ++i) {
      std::string alongText;
      const GenerationResult alone = generate(net_, tokenizer_, requests[i].prompt, requests[i].options,
                                              [&](const std::string& piece) { return (alongText += piece), true; });
      const GenerationResult& r = together.at(i);
      QVERIFY2(r.tokens == alone.tokens, qPrintable(QString("request %1: '%2' vs '%3'")
                                                        .arg(i)
                                                        .arg(QString::fromStdString(r.text))
                                                        .arg(QString::fromStdString(alone.text))));
      QCOMPARE(r.text, alone.text);
      QCOMPARE(r.finishReason, alone.finishReason);
      QCOMPARE(streamed[i], alongText);
    }
    QCOMPARE(together.at(3).finishReason, std::string("stop"));
    QCOMPARE(batch.running(), size_t(0));
  }

  void aFullCacheMakesASequenceWait() {
    // Room for two sequences of the whole context: a third waits until one ends.
    BatchedGeneration batch(net_, tokenizer_, BatchLimits{8, 2 * 64});
    const int64_t total = batch.freeCacheTokens();
    QVERIFY(batch.add(0, "In the beginning", sampling(60, 0, 0), {}));
    QVERIFY(batch.add(1, "And God said", sampling(60, 0, 0), {}));
    QVERIFY(!batch.add(2, "And", sampling(60, 0, 0), {}));
    QCOMPARE(batch.running(), size_t(2));
    size_t ended = 0;
    for (int i = 0; i < 200 && ended == 0; ++i) ended += batch.step().size();
    QVERIFY(ended > 0);
    QVERIFY(batch.add(2, "And", sampling(3, 0, 0), {}));
    for (int i = 0; i < 200 && batch.running() > 0; ++i) batch.step();
    QCOMPARE(batch.freeCacheTokens(), total);
    QVERIFY_THROWS_EXCEPTION(std::runtime_error, BatchedGeneration(net_, tokenizer_, BatchLimits{8, 63}));
  }

  void aCancelledSequenceLeavesAtTheNextStep() {
    BatchedGeneration batch(net_, tokenizer_, BatchLimits{4, 0});
    const int64_t total = batch.freeCacheTokens();
    int pieces = 0;
    SamplingOptions o = sampling(50, 0, 0);
    o.ignoreEos = true;
    QVERIFY(batch.add(0, "In the beginning", o, [&](const std::string&) { return ++pieces < 3; }));
    QVERIFY(batch.add(1, "And God said", o, {}));
    QCOMPARE(batch.freeCacheTokens(), total - 2 * 64);  // each: prompt + 50 tokens, four 16-token blocks
    std::vector<GenerationBatch::Finished> ended;
    for (int i = 0; i < 10 && ended.empty(); ++i) ended = batch.step();
    QCOMPARE(ended.size(), size_t(1));
    QCOMPARE(ended[0].id, uint64_t(0));
    QCOMPARE(pieces, 3);
    QVERIFY(ended[0].result.tokens.size() < 10);
    QCOMPARE(batch.running(), size_t(1));
    QCOMPARE(batch.freeCacheTokens(), total - 64);
  }
};

QTEST_GUILESS_MAIN(TestBatchedGeneration)
#include "tst_batched_generation.moc"
