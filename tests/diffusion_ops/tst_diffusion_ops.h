#pragma once
// The diffusion models' kernels (convolution, GroupNorm/LayerNorm, GELU/GEGLU, upsample, concat,
// bias, timestep embedding, sequence attention, masked sums): each against a plain CPU reference in double on
// random inputs with odd shapes, under a normalised-error tolerance, validation on.

#include "core/result.h"
#include "ops/tensor.h"
#include "test_device.h"
#include "test_result.h"

#include <QObject>
#include <QtTest>

class TestDiffusionOps : public QObject {
    Q_OBJECT

private slots:
    void initTestCase();

    void conv2d_data();
    void conv2d();
    void conv2dRowBands_data();
    void conv2dRowBands();
    void conv2dRejectsBadArguments();
    void repackConvWeight();

    void groupNorm_data();
    void groupNorm();
    void groupNormImageAtBindingLimit();
    void groupNormBands_data();
    void groupNormBands();
    void layerNorm_data();
    void layerNorm();
    void normRejectsBadArguments();

    void gelu_data();
    void gelu();
    void silu();
    void quickGelu();

    void upsample_data();
    void upsample();
    void concatChannels();
    void addBias_data();
    void addBias();
    void timestepEmbedding_data();
    void timestepEmbedding();

    void attention_data();
    void attention();
    void attentionRejectsBadArguments();

    void wideAttention_data();
    void wideAttention();
    void wideAttentionRejectsBadArguments();
    void layoutCopies_data();
    void layoutCopies();
    void addMasked_data();
    void addMasked();
};

namespace atelier::test {

// Values as a tensor of `dtype` stores them: rounded through f16 for f16.
inline std::vector<float> stored(DType dtype, std::vector<float> v)
{
    return dtype == DType::F16 ? roundToHalf(std::move(v)) : v;
}

} // namespace atelier::test
