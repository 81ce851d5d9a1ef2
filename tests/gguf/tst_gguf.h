#pragma once
// GGUF reader tests: fixtures read back exactly, every corruption rejected with a message that
// names the problem, and the installed Gemma 3 file read as the ggml project's `gguf` package reads it.

#include "core/result.h"
#include "io/gguf.h"
#include "test_result.h"

#include <QByteArray>
#include <QObject>
#include <QtTest>

#include <memory>
#include <string>

namespace atelier::test {

// The bytes of tests/gguf/fixtures/<name>.
QByteArray fixture(const char* name);

inline std::span<const uint8_t> asBytes(const QByteArray& bytes)
{
    return {reinterpret_cast<const uint8_t*>(bytes.constData()), size_t(bytes.size())};
}

inline Result<std::unique_ptr<io::GgufFile>> parseBytes(const QByteArray& bytes)
{
    return io::GgufFile::parse(asBytes(bytes));
}

} // namespace atelier::test

class TestGguf : public QObject {
    Q_OBJECT

private slots:
    void opensEveryFixture_data();
    void opensEveryFixture();
    void readsScalars_data();
    void readsScalars();
    void readsArrays_data();
    void readsArrays();
    void typedGettersConvertOrNameTheMismatch();
    void readsTensors_data();
    void readsTensors();
    void readsTensorData();
    void knowsGgmlTypes();
    void openNamesThePath();

    // corruption_test.cpp
    void rejectsCorruption_data();
    void rejectsCorruption();
    void rejectsEveryTruncation_data();
    void rejectsEveryTruncation();

    void readsGemma3();
};
