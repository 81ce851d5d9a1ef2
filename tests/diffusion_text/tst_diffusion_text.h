#pragma once
// The text side of a diffusion prompt: CLIP tokens, A1111 weights and 77-token chunks.

#include "diffusion/clip_tokenizer.h"

#include <QJsonObject>
#include <QObject>
#include <QtTest>

#include <optional>

class TestDiffusionText : public QObject {
    Q_OBJECT
private slots:
    void initTestCase();
    // clip_tokenizer_test.cpp
    void builtInVocabulary();
    void tokensMatchHuggingFace_data();
    void tokensMatchHuggingFace();
    void mergesFileLoads();
    void badMergesAreErrors();
    // prompt_test.cpp
    void runsMatchA1111_data();
    void runsMatchA1111();
    void randomPromptsMatchA1111();
    void chunksMatchA1111_data();
    void chunksMatchA1111();
    void emptyChunkPads();
    void syntaxSpans();

private:
    const atelier::diffusion::ClipTokenizer& tokenizer() const { return *mTokenizer; }

    QJsonObject mGolden;
    std::optional<atelier::diffusion::ClipTokenizer> mTokenizer;
};
