#pragma once
// safetensors reader tests: fixtures read back exactly, every corruption rejected with a message
// that names the problem; Stable Diffusion checkpoints of every family read the same from both
// layouts, with the configuration their shapes and configs imply.

#include "core/result.h"
#include "io/safetensors.h"
#include "test_result.h"

#include <QByteArray>
#include <QObject>
#include <QString>
#include <QtTest>

#include <memory>
#include <span>
#include <string>

namespace atelier::test {

// Path of tests/safetensors/fixtures/<name>.
std::string fixturePath(const QString& name);
// The bytes of tests/safetensors/fixtures/<name>.
QByteArray fixtureBytes(const QString& name);

inline std::span<const uint8_t> asBytes(const QByteArray& bytes)
{
    return {reinterpret_cast<const uint8_t*>(bytes.constData()), size_t(bytes.size())};
}

inline Result<std::unique_ptr<io::SafetensorsFile>> parseBytes(const QByteArray& bytes)
{
    return io::SafetensorsFile::parse(asBytes(bytes));
}

// A safetensors file with every `from` in its JSON header replaced by `to` (the header length is
// updated; data offsets count from the header's end, so the data stays valid).
QByteArray rewriteHeader(const QByteArray& file, const QByteArray& from, const QByteArray& to);

} // namespace atelier::test

class TestSafetensors : public QObject {
    Q_OBJECT

private slots:
    // tst_safetensors.cpp
    void opensValidFiles_data();
    void opensValidFiles();
    void readsEveryDtype();
    void readsEscapesAndUnknownFields();
    void readsWhatTheReferenceWriterWrote();
    void floatTensorNamesUnusableDtypes();
    void openNamesThePath();

    // corruption_test.cpp
    void rejectsCorruptFiles_data();
    void rejectsCorruptFiles();
    void rejectsEveryTruncation_data();
    void rejectsEveryTruncation();

    // checkpoint_test.cpp
    void detectsFamilyAndConfig_data();
    void detectsFamilyAndConfig();
    void bothLayoutsGiveTheSameTensors_data();
    void bothLayoutsGiveTheSameTensors();
    void splitsOpenClipAttention();
    void readsOtherDiffusersNamings();
    void replacesTheVae_data();
    void replacesTheVae();
    void predictionAndTurboRules_data();
    void predictionAndTurboRules();
    void declaredResolutionReadsOnlyTheHeader();
    void requireSaysExpectedAndFound();

    // checkpoint_errors_test.cpp
    void rejectsBrokenCheckpoints_data();
    void rejectsBrokenCheckpoints();
    void rejectsLyingDiffusersConfigs_data();
    void rejectsLyingDiffusersConfigs();
};
