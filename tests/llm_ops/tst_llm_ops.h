#pragma once
// Transformer kernel tests (RoPE, attention, kv-cache stores, GLU, top logits, mixtures of experts): each against a plain CPU
// reference in double on random inputs, under a normalised-error tolerance, validation on.

#include "core/result.h"
#include "ops/tensor.h"
#include "test_device.h"
#include "test_result.h"

#include <QObject>
#include <QtTest>

#include <string>

Q_DECLARE_METATYPE(atelier::DType)

class TestLlmOps : public QObject {
    Q_OBJECT

private slots:
    void initTestCase();

    void rope_data();
    void rope();
    void ropeInPlace();
    void ropeWithNorm_data();
    void ropeWithNorm();
    void ropeRejectsBadArguments();

    void attention_data();
    void attention();
    void attentionPerHeadWindows();
    void attentionPrefillThenDecode();
    void attentionRejectsBadArguments();
    void attentionTimings();

    void storeKv();
    void ropeAndStoreKv_data();
    void ropeAndStoreKv();
    void ropeAndStoreKvRejectsBadArguments();
    void ropeAndStoreKvTimings();
    void decodeAttention_data();
    void decodeAttention();
    void decodeAttentionDeclines();

    void glu_data();
    void glu();
    void gluRejectsBadArguments();

    void topLogits_data();
    void topLogits();
    void topLogitsOverflowWhenAllTie();
    void topLogitsRejectsBadArguments();

    void routeExperts_data();
    void routeExperts();
    void experts_data();
    void experts();
    void expertsRejectBadArguments();
};
