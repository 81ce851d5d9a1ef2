#pragma once
// Noise, schedules and samplers of the diffusion engine against PyTorch, k-diffusion and diffusers
// (golden/*.json from make_golden.py), and the A1111 name registry.

#include <QObject>
#include <QtTest>

class TestSamplers : public QObject {
    Q_OBJECT
private slots:
    // noise_test.cpp
    void noiseMatchesTorch_data();
    void noiseMatchesTorch();
    void noiseContinuesLikeOneGenerator_data();
    void noiseContinuesLikeOneGenerator();
    // schedule_test.cpp
    void trainingScheduleMatchesCompVis();
    void sigmaTimestepConversionMatchesKDiffusion();
    void uniformAndKarrasSigmasMatchKDiffusion();
    void float32A1111SigmasAreWithinRounding();
    void diffusersTimestepsMatch();
    void img2imgSkipsStepsLikeTheReferences();
    void badPlansAreErrors();
    // sampler_test.cpp
    void samplersMatchReferences_data();
    void samplersMatchReferences();
    void denoiserScalingsAreKDiffusions();
    void guidanceMixesPredictions();
    void progressCallbackStopsTheRun();
    void denoiserErrorsPropagate();
    void badInputsAreErrors();
    // names_test.cpp
    void parsesA1111Names_data();
    void parsesA1111Names();
    void formatsA1111Names_data();
    void formatsA1111Names();
    void namesRoundTrip();
    void unknownNamesAreErrors();
};
