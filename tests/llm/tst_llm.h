#pragma once
// The language-model engine's host-side parts: sampling (and, as they land, tokenizer and model).

#include <QJsonArray>
#include <QJsonValue>
#include <QObject>
#include <QtTest>

#include <cstdint>
#include <vector>

// A golden file's array of token ids.
inline std::vector<int32_t> intsOf(const QJsonValue& v)
{
    std::vector<int32_t> out;
    for (const QJsonValue& x : v.toArray())
        out.push_back(x.toInt());
    return out;
}

class TestLlm : public QObject {
    Q_OBJECT
private slots:
    // sampler_test.cpp
    void greedyPicksTheLargestLogit();
    void seedReproducesTokens();
    void samplesFollowTheDistribution();
    void topPKeepsTheSmallestNucleus();
    void minPDropsUnlikelyTokens();
    void topKOneIsGreedy();
    void repeatPenaltyDiscouragesRepeats();
    void badLogitsAreErrors();
    void candidatesNeededCoversPenalisedTokens();
    void candidatesSampleLikeTheWholeRow();
    // tokenizer_test.cpp
    void sentencePieceMergesByScore();
    void specialTokensSplitFirst();
    void utf8StreamHoldsSplitCharacters();
    void gemmaTokensMatchLlamaCpp_data();
    void gemmaTokensMatchLlamaCpp();
    // bpe_test.cpp
    void bpeTokensMatchHuggingFace_data();
    void bpeTokensMatchHuggingFace();
    void bpeBosFollowsTheVocab();
    void bpeRoundTripsArbitraryBytes();
    void bpeWithoutMergesIsAnError();
    // model_config_test.cpp
    void gemmaConfigFromGguf();
    // weights_test.cpp
    void gemmaWeightsLoadOntoTheDevice();
    // forward_test.cpp
    void gemmaLogitsMatchReferences_data();
    void gemmaLogitsMatchReferences();
    // architecture_test.cpp
    void tinyModelConfigs();
    void mixtureOfExpertsConfigs();
    void embeddingsMatchReferences_data();
    void embeddingsMatchReferences();
    void embeddingModelRefusesOthers();
    void batchedEmbeddingsEqualOneAtATime_data();
    void batchedEmbeddingsEqualOneAtATime();
    void tinyModelsMatchReferences_data();
    void tinyModelsMatchReferences();
    void tinyModelsOnGpuPathsMatchReferences_data();
    void tinyModelsOnGpuPathsMatchReferences();
    void tinyModelsChat_data();
    void tinyModelsChat();
    void int8MatvecKeepsTheAnswers_data();
    void int8MatvecKeepsTheAnswers();
};
