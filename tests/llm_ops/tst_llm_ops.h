#pragma once
// Transformer kernel tests (RoPE, attention, kv-cache stores, GLU): each against a plain CPU
// reference in double on random inputs, under a normalised-error tolerance, validation on.

#include "core/result.h"
#include "ops/tensor.h"
#include "test_device.h"

#include <QObject>
#include <QtTest>

#include <string>

namespace atelier::test {

template <typename T>
std::string errorText(const Result<T>& r)
{
    return r.ok() ? std::string() : r.error().message;
}

} // namespace atelier::test

// Fails the test function with the error's message unless `expr` succeeded.
#define LLM_VERIFY_OK(expr)                                                   \
    do {                                                                      \
        const auto& llmResult_ = (expr);                                      \
        QVERIFY2(llmResult_.ok(), atelier::test::errorText(llmResult_).c_str()); \
    } while (0)

// LLM_ASSIGN(auto t, Tensor::create(...)); unwraps a Result or fails the test function.
#define LLM_ASSIGN(decl, expr) LLM_ASSIGN_IMPL_(ATELIER_CONCAT_(llmTmp_, __LINE__), decl, expr)
#define LLM_ASSIGN_IMPL_(tmp, decl, expr)                                \
    auto tmp = (expr);                                                   \
    QVERIFY2(tmp.ok(), atelier::test::errorText(tmp).c_str());           \
    decl = std::move(tmp).value()

class TestLlmOps : public QObject {
    Q_OBJECT

private slots:
    void initTestCase();

    void rope_data();
    void rope();
    void ropeInPlace();
    void ropeRejectsBadArguments();

    void attention_data();
    void attention();
    void attentionPerHeadWindows();
    void attentionPrefillThenDecode();
    void attentionRejectsBadArguments();
    void attentionTimings();

    void storeKv();

    void glu_data();
    void glu();
    void gluRejectsBadArguments();
};
