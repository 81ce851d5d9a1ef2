#pragma once
// Kernel tests: every op against a plain CPU reference (double accumulation) on random inputs with
// odd shapes, under a normalised-error tolerance, with the validation layer on.

#include "core/dtype.h"
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

Q_DECLARE_METATYPE(atelier::DType)

// Fails the test function with the error's message unless `expr` succeeded.
#define OPS_VERIFY_OK(expr)                                                   \
    do {                                                                      \
        const auto& opsResult_ = (expr);                                      \
        QVERIFY2(opsResult_.ok(), atelier::test::errorText(opsResult_).c_str()); \
    } while (0)

// OPS_ASSIGN(auto t, Tensor::create(...)); unwraps a Result or fails the test function.
#define OPS_ASSIGN(decl, expr) OPS_ASSIGN_IMPL_(ATELIER_CONCAT_(opsTmp_, __LINE__), decl, expr)
#define OPS_ASSIGN_IMPL_(tmp, decl, expr)                                \
    auto tmp = (expr);                                                   \
    QVERIFY2(tmp.ok(), atelier::test::errorText(tmp).c_str());           \
    decl = std::move(tmp).value()

class TestOps : public QObject {
    Q_OBJECT

private slots:
    void initTestCase();

    void elementwise_data();
    void elementwise();
    void elementwiseBroadcast_data();
    void elementwiseBroadcast();
    void elementwiseOverBindingLimit();
    void elementwiseRejectsBadArguments();

    void matmul_data();
    void matmul();
    void matmulSplitBindings_data();
    void matmulSplitBindings();
    void matmulWeightsOverBindingLimit();
    void matmulRejectsBadArguments();

    void quantReferenceMatchesGguf();
    void quantMatmul_data();
    void quantMatmul();
    void quantMatmulSplitBindings_data();
    void quantMatmulSplitBindings();
    void quantMatmulWeightsOverBindingLimit();

    void embedding_data();
    void embedding();
    void embeddingTableOverBindingLimit();
    void embeddingRejectsBadArguments();

    void softmax_data();
    void softmax();
    void softmaxInPlace();
    void softmaxRejectsBadArguments();

    void rmsnorm_data();
    void rmsnorm();
    void rmsnormRejectsBadArguments();
};
