#pragma once
// Kernel tests: every op against a plain CPU reference (double accumulation) on random inputs with
// odd shapes, under a normalised-error tolerance, with the validation layer on.

#include "core/dtype.h"
#include "core/result.h"
#include "ops/tensor.h"
#include "test_device.h"
#include "test_result.h"

#include <QObject>
#include <QtTest>

#include <string>

Q_DECLARE_METATYPE(atelier::DType)

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
    void linear_data();
    void linear();
    void linearRejectsBadArguments();

    void quantReferenceMatchesGguf();
    void cpuRepackedKQuants_data();
    void cpuRepackedKQuants();
    void quantMatmulGlu_data();
    void quantMatmulGlu();
    void matmulResidualNorm_data();
    void matmulResidualNorm();
    void quantMatmul_data();
    void quantMatmul();
    void quantMatmulSplitBindings_data();
    void quantMatmulSplitBindings();
    void quantMatmulWeightsOverBindingLimit();
    void int8Matvec_data();
    void int8Matvec();
    void int8MatvecSplitBindings_data();
    void int8MatvecSplitBindings();
    void int8MatvecQuantizesEachInputOnce();
    void int8MatvecWorkspaceGrows();
    void int8MatvecSelection();

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
    void residualNorm_data();
    void residualNorm();
    void residualNormRejectsBadArguments();
};
