// The GGUF writer on its own: half-precision rounding, Q8_0 blocks as GGML defines them, and the
// file's byte layout (header, typed metadata, tensor table in GGML's dimension order, 32-byte
// aligned data), read back field by field.
#include "backend/export/gguf/gguf_file.h"
#include "backend/export/gguf/gguf_reader.h"

#include <QTemporaryDir>
#include <QtTest>

#include <cmath>
#include <cstring>
#include <fstream>
#include <iterator>

using namespace reef::exporting;

namespace {

struct Reader {
  std::vector<uint8_t> bytes;
  size_t at = 0;
  template <typename T>
  T next() {
    T v;
    std::memcpy(&v, bytes.data() + at, sizeof(T));
    at += sizeof(T);
    return v;
  }
  std::string string() {
    const auto n = next<uint64_t>();
    std::string s(reinterpret_cast<const char*>(bytes.data() + at), n);
    at += n;
    return s;
  }
};

}  // namespace

class TestGgufFile : public QObject {
  Q_OBJECT
 private Q_SLOTS:
  void halfPrecisionRoundsToNearestEven() {
    QCOMPARE(halfFromFloat(1.0f), uint16_t(0x3c00));
    QCOMPARE(halfFromFloat(-2.0f), uint16_t(0xc000));
    QCOMPARE(halfFromFloat(65504.0f), uint16_t(0x7bff));
    QCOMPARE(halfFromFloat(1e6f), uint16_t(0x7c00));                          // overflow: infinity
    QCOMPARE(halfFromFloat(std::ldexp(1.0f, -24)), uint16_t(1));              // smallest subnormal
    QCOMPARE(halfFromFloat(1.0f + std::ldexp(1.0f, -11)), uint16_t(0x3c00));  // tie: to even
    QCOMPARE(halfFromFloat(1.0f + 3 * std::ldexp(1.0f, -11)), uint16_t(0x3c02));
    for (float x : {0.1f, -3.14159f, 1e-5f, 1234.5f, 6e-8f})
      QVERIFY2(std::fabs(floatFromHalf(halfFromFloat(x)) - x) <= std::fabs(x) * 1e-3f + 6e-8f,
               qPrintable(QString::number(x)));
  }

  void q8BlocksHoldScaleAndRoundedQuants() {
    std::vector<float> x(64);
    for (int i = 0; i < 64; ++i) x[i] = (i - 20) * 0.25f;
    const auto q = quantizeQ8_0(x.data(), 64);
    QCOMPARE(q.size(), size_t(2 * 34));
    uint16_t d;
    std::memcpy(&d, q.data(), 2);
    QCOMPARE(floatFromHalf(d), floatFromHalf(halfFromFloat(5.0f / 127)));  // block 0: max |x| = 20 * 0.25
    QCOMPARE(int(int8_t(q[2])), -127);
    QCOMPARE(int(int8_t(q[2 + 20])), 0);
    for (int i = 0; i < 32; ++i)
      QVERIFY(std::fabs(int8_t(q[2 + i]) * floatFromHalf(d) - x[i]) <= floatFromHalf(d) / 2 + 1e-6f);
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, quantizeQ8_0(x.data(), 40));
  }

  void fileLayoutReadsBack() {
    QTemporaryDir dir;
    const std::string path = dir.filePath("m.gguf").toStdString();
    GgufWriter w;
    w.setString("general.architecture", "llama");
    w.setU32("llama.block_count", 2);
    w.setF32("llama.rope.freq_base", 10000.0f);
    w.setStrings("tokenizer.ggml.tokens", {"<unk>", "\xe2\x96\x81the"});
    const std::vector<float> a = {1, 2, 3, 4, 5, 6};
    w.addTensor("a.weight", {2, 3}, a.data(), GgmlType::F32);
    w.addTensor("b.weight", {3}, a.data(), GgmlType::F16);
    w.write(path);
    std::ifstream in(path, std::ios::binary);
    Reader r{std::vector<uint8_t>(std::istreambuf_iterator<char>(in), {})};
    QCOMPARE(std::string(reinterpret_cast<const char*>(r.bytes.data()), 4), std::string("GGUF"));
    r.at = 4;
    QCOMPARE(r.next<uint32_t>(), 3u);
    QCOMPARE(r.next<uint64_t>(), uint64_t(2));  // tensors
    QCOMPARE(r.next<uint64_t>(), uint64_t(4));  // key/value pairs
    QCOMPARE(r.string(), std::string("general.architecture"));
    QCOMPARE(r.next<uint32_t>(), 8u);
    QCOMPARE(r.string(), std::string("llama"));
    QCOMPARE(r.string(), std::string("llama.block_count"));
    QCOMPARE(r.next<uint32_t>(), 4u);
    QCOMPARE(r.next<uint32_t>(), 2u);
    QCOMPARE(r.string(), std::string("llama.rope.freq_base"));
    QCOMPARE(r.next<uint32_t>(), 6u);
    QCOMPARE(r.next<float>(), 10000.0f);
    QCOMPARE(r.string(), std::string("tokenizer.ggml.tokens"));
    QCOMPARE(r.next<uint32_t>(), 9u);
    QCOMPARE(r.next<uint32_t>(), 8u);
    QCOMPARE(r.next<uint64_t>(), uint64_t(2));
    QCOMPARE(r.string(), std::string("<unk>"));
    QCOMPARE(r.string(), std::string("\xe2\x96\x81the"));
    QCOMPARE(r.string(), std::string("a.weight"));
    QCOMPARE(r.next<uint32_t>(), 2u);
    QCOMPARE(r.next<uint64_t>(), uint64_t(3));  // ne[0]: the innermost dimension first
    QCOMPARE(r.next<uint64_t>(), uint64_t(2));
    QCOMPARE(r.next<uint32_t>(), 0u);
    QCOMPARE(r.next<uint64_t>(), uint64_t(0));
    QCOMPARE(r.string(), std::string("b.weight"));
    QCOMPARE(r.next<uint32_t>(), 1u);
    QCOMPARE(r.next<uint64_t>(), uint64_t(3));
    QCOMPARE(r.next<uint32_t>(), 1u);
    QCOMPARE(r.next<uint64_t>(), uint64_t(32));  // 24 bytes of a, padded to 32
    const size_t data = (r.at + 31) / 32 * 32;
    float first;
    std::memcpy(&first, r.bytes.data() + data + 4 * 5, 4);
    QCOMPARE(first, 6.0f);
    uint16_t h;
    std::memcpy(&h, r.bytes.data() + data + 32 + 2, 2);
    QCOMPARE(floatFromHalf(h), 2.0f);
    QCOMPARE(r.bytes.size(), data + 64);
  }

  // The reader is independent of the writer: what one writes, the other gives back, values included.
  void readerGivesBackWhatWasWritten() {
    QTemporaryDir dir;
    const std::string path = dir.filePath("m.gguf").toStdString();
    GgufWriter w;
    w.setString("general.architecture", "llama");
    w.setU32("llama.block_count", 2);
    w.setStrings("tokenizer.ggml.tokens", {"<unk>", "\xe2\x96\x81the"});
    w.setI32s("tokenizer.ggml.token_type", {2, 1});
    std::vector<float> a(64);
    for (size_t i = 0; i < a.size(); ++i) a[i] = 0.25f * static_cast<float>(i) - 4;
    w.addTensor("a.weight", {2, 32}, a.data(), GgmlType::F32);
    w.addTensor("b.weight", {4, 16}, a.data(), GgmlType::F16);
    w.addTensor("c.weight", {2, 32}, a.data(), GgmlType::Q8_0);
    w.write(path);
    const GgufFile g = readGguf(path);
    QCOMPARE(g.version, 3u);
    QCOMPARE(g.metadata["general.architecture"], reef::Json("llama"));
    QCOMPARE(g.metadata["llama.block_count"], reef::Json(2));
    QCOMPARE(g.metadata["tokenizer.ggml.tokens"], reef::Json({"<unk>", "\xe2\x96\x81the"}));
    QCOMPARE(g.metadata["tokenizer.ggml.token_type"], reef::Json({2, 1}));
    QCOMPARE(g.tensors.size(), size_t(3));
    QCOMPARE(g.tensors[1].shape, (std::vector<int64_t>{4, 16}));
    QCOMPARE(g.tensors[2].bytes, uint64_t(2 * 34));
    QCOMPARE(readGgufTensor(path, g.tensors[0]), a);
    QCOMPARE(readGgufTensor(path, g.tensors[1]), a);  // quarters are exact in half precision
    const std::vector<float> q = readGgufTensor(path, g.tensors[2]);
    for (size_t i = 0; i < a.size(); ++i) QVERIFY(std::fabs(q[i] - a[i]) <= 8.0f / 127);
  }

  // A file cut short, or one whose counts promise more than it holds, is refused with its name,
  // the byte where it went wrong and what, never read past its end.
  void damagedFilesAreRefusedWithTheirPlace() {
    QTemporaryDir dir;
    const std::string path = dir.filePath("m.gguf").toStdString();
    GgufWriter w;
    w.setString("general.architecture", "llama");
    const std::vector<float> a(32, 1.0f);
    w.addTensor("a.weight", {32}, a.data(), GgmlType::F32);
    w.write(path);
    std::ifstream in(path, std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), {});
    auto refusal = [&](const std::string& content) {
      std::ofstream(path, std::ios::binary | std::ios::trunc) << content;
      try {
        readGguf(path);
      } catch (const std::runtime_error& e) {
        return std::string(e.what());
      }
      return std::string();
    };
    QVERIFY(refusal(bytes.substr(0, bytes.size() - 1)).find("'a.weight' (128 bytes at 0) lies outside the file") !=
            std::string::npos);
    std::string manyKeys = bytes;
    manyKeys[16] = '\x7f';  // the key count's low byte: 127 keys in a file of ~200 bytes
    QVERIFY(refusal(manyKeys).find("at byte") != std::string::npos);
    std::string badType = bytes;
    badType[24 + 8 + 20] = 42;  // the first value's type
    QVERIFY2(refusal(badType).find("metadata value type 42 is not a GGUF type") != std::string::npos,
             refusal(badType).c_str());
    QVERIFY(refusal("GGUF").find("is not a valid GGUF file: the file ends") != std::string::npos);
    QVERIFY(refusal("GGML....").find("no GGUF magic") != std::string::npos);
  }
};

QTEST_GUILESS_MAIN(TestGgufFile)
#include "tst_gguf_file.moc"
