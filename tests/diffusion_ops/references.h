#pragma once
// Plain CPU references for the diffusion kernels, in double, on NHWC activations.

#include <cstdint>
#include <vector>

namespace atelier::test {

struct ConvCase {
    int batch = 1, height = 1, width = 1, inC = 1, outC = 1, kernel = 3;
    int stride = 1, pad = 1;
    bool upsample = false;
};

int convOutputSize(int in, const ConvCase& c);

// in NHWC; weight in torch's [outC, inC, kh, kw]; bias [outC] or empty; residual like out or empty.
std::vector<float> conv2dReference(const std::vector<float>& in, const std::vector<float>& weightOihw,
                                   const std::vector<float>& bias, const std::vector<float>& residual,
                                   const ConvCase& c);

// x [images, pixels, channels] normalised per (image, group); layer norm is groups = pixels = 1.
std::vector<float> groupNormReference(const std::vector<float>& x, int images, int pixels, int channels, int groups,
                                      const std::vector<float>& gamma, const std::vector<float>& beta, double eps,
                                      bool silu);

double geluReference(double x, bool tanhForm);
// OpenAI CLIP's quick_gelu: x sigmoid(1.702 x).
double quickGeluReference(double x);

// q [batch, nq, heads, d], k and v [batch, nk, heads, d].
std::vector<float> sequenceAttentionReference(const std::vector<float>& q, const std::vector<float>& k,
                                              const std::vector<float>& v, int batch, int nq, int nk, int heads,
                                              int headDim, bool causal);

// diffusers' get_timestep_embedding in double.
std::vector<float> timestepEmbeddingReference(const std::vector<float>& timesteps, int dim, bool flipSinToCos,
                                              double shift, double scale, double maxPeriod);

} // namespace atelier::test
