// Our safetensors reader and writer: round trips, a file laid out by hand from the format's
// definition, and deliberately broken files that must be refused with a clear reason.
#include "backend/protocol/safetensors.h"

#include <QtTest>

#include <cstring>
#include <filesystem>
#include <fstream>

using namespace reef::protocol;
namespace fs = std::filesystem;

namespace {

void writeRaw(const fs::path& path, const std::string& header, const std::string& data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  uint64_t n = header.size();
  for (int i = 0; i < 8; ++i) out.put(static_cast<char>((n >> (8 * i)) & 0xff));
  out << header << data;
}

QString openError(const fs::path& path) {
  try {
    SafetensorsFile::open(path);
  } catch (const std::runtime_error& e) {
    return QString::fromUtf8(e.what());
  }
  return {};
}

}  // namespace

class TestSafetensors : public QObject {
  Q_OBJECT
  QTemporaryDir dir_;
  fs::path file(const char* name) const { return fs::path(dir_.path().toStdString()) / name; }

 private Q_SLOTS:
  void roundTripsTensorsAndMetadata() {
    const float weights[6] = {1, -2, 3.5f, 4, 5, 6};
    const int64_t steps[2] = {7, -9};
    const uint8_t rng[3] = {1, 2, 255};
    writeSafetensors(file("a.safetensors"),
                     {{"layer.weight", DType::F32, {2, 3}, weights, sizeof weights},
                      {"step", DType::I64, {2}, steps, sizeof steps},
                      {"rng", DType::U8, {3}, rng, sizeof rng},
                      {"empty", DType::F32, {0, 4}, nullptr, 0}},
                     {{"format", "reef-checkpoint"}});
    auto f = SafetensorsFile::open(file("a.safetensors"));
    QCOMPARE(f.tensors().size(), size_t(4));
    QCOMPARE(f.metadata().at("format"), std::string("reef-checkpoint"));
    const auto* w = f.find("layer.weight");
    QVERIFY(w);
    QCOMPARE(w->dtype, DType::F32);
    QCOMPARE(w->shape, (std::vector<int64_t>{2, 3}));
    QCOMPARE(std::memcmp(w->data, weights, sizeof weights), 0);
    QCOMPARE(reinterpret_cast<uintptr_t>(w->data) % 8, uintptr_t(0));  // aligned data section
    QCOMPARE(std::memcmp(f.find("step")->data, steps, sizeof steps), 0);
    QCOMPARE(f.find("empty")->nbytes, size_t(0));
    QVERIFY(!f.find("missing"));
  }

  void readsAFileLaidOutByHand() {
    // Two BF16 values and one I32, written from the format's definition, not by our writer.
    const std::string header =
        R"({"b":{"dtype":"I32","shape":[1],"data_offsets":[4,8]},"a":{"dtype":"BF16","shape":[2],"data_offsets":[0,4]}})";
    const unsigned char data[8] = {0x80, 0x3f, 0x00, 0x40, 0x2a, 0, 0, 0};  // bf16 1.0, 2.0; int32 42
    writeRaw(file("hand.safetensors"), header, std::string(reinterpret_cast<const char*>(data), 8));
    auto f = SafetensorsFile::open(file("hand.safetensors"));
    QCOMPARE(f.find("a")->dtype, DType::BF16);
    int32_t v;
    std::memcpy(&v, f.find("b")->data, 4);
    QCOMPARE(v, 42);
  }

  void refusesTruncatedFiles() {
    const float x[4] = {1, 2, 3, 4};
    writeSafetensors(file("t.safetensors"), {{"x", DType::F32, {4}, x, sizeof x}});
    fs::resize_file(file("t.safetensors"), fs::file_size(file("t.safetensors")) - 3);
    QString e = openError(file("t.safetensors"));
    QVERIFY2(e.contains("truncated") && e.contains("t.safetensors"), qPrintable(e));
    fs::resize_file(file("t.safetensors"), 5);
    QVERIFY(openError(file("t.safetensors")).contains("truncated"));
    fs::resize_file(file("t.safetensors"), 20);
    QVERIFY(openError(file("t.safetensors")).contains("truncated"));
  }

  void refusesCorruptHeaders() {
    writeRaw(file("c1"), "{not json", "");
    QVERIFY(openError(file("c1")).contains("not a JSON object"));
    writeRaw(file("c2"), R"({"x":{"dtype":"F99","shape":[1],"data_offsets":[0,4]}})", std::string(4, '\0'));
    QVERIFY(openError(file("c2")).contains("unsupported dtype F99"));
    writeRaw(file("c3"), R"({"x":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}})", std::string(4, '\0'));
    QVERIFY(openError(file("c3")).contains("shape needs 8"));
    writeRaw(
        file("c4"),
        R"({"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"y":{"dtype":"F32","shape":[1],"data_offsets":[2,6]}})",
        std::string(6, '\0'));
    QVERIFY(openError(file("c4")).contains("overlap"));
    writeRaw(file("c5"), R"({"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})", std::string(9, '\0'));
    QVERIFY(openError(file("c5")).contains("unexplained bytes"));
    writeRaw(file("c6"), R"({"x":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}})", std::string(4, '\0'));
    QVERIFY(openError(file("c6")).contains("negative"));
    std::ofstream(file("c7"), std::ios::binary) << std::string("\xff\xff\xff\xff\xff\xff\xff\x7f", 8);
    QVERIFY(openError(file("c7")).contains("corrupt"));
    QVERIFY(openError(file("missing")).contains("cannot open"));
  }
};

QTEST_APPLESS_MAIN(TestSafetensors)
#include "tst_safetensors.moc"
