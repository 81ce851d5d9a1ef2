#pragma once
// Plain CPU references for the transformer kernels, in double.

#include <cstdint>
#include <vector>

namespace atelier::test {

struct RopeCase {
    int tokens = 1, heads = 1, headDim = 64, nRot = 64;
    bool neox = false;
    uint32_t startPosition = 0;
    double freqBase = 10000.0, freqScale = 1.0;
    std::vector<float> freqFactors; // empty or nRot / 2
};

// x [tokens, heads, headDim] rotated with the exact angles freqScale * pos * base^(-2i / nRot) / factor_i.
std::vector<float> ropeReference(const std::vector<float>& x, const RopeCase& c);

struct AttentionCase {
    int tokens = 1, heads = 1, kvHeads = 1, headDim = 64, capacity = 1;
    uint32_t startPosition = 0, kvLength = 1, window = 0;
    bool causal = true;
    double scale = 0.125, softCap = 0.0;
};

// softmax(scale * q k^T (soft-capped), masked) v per query head; k, v [kvHeads, capacity, headDim].
std::vector<float> attentionReference(const std::vector<float>& q, const std::vector<float>& k,
                                      const std::vector<float>& v, const AttentionCase& c);

// act(gate) * up with act silu or the tanh approximation of gelu.
std::vector<float> gluReference(const std::vector<float>& gate, const std::vector<float>& up, bool geluTanh);

// Largest |a - b| relative to the largest |b| (0: the same values bit for bit; infinite where the
// sizes differ).
double worstDifference(const std::vector<float>& a, const std::vector<float>& b);

// Largest |a - b| in units of the f16 spacing at b.
double halfUnits(const std::vector<float>& a, const std::vector<float>& b);

} // namespace atelier::test
