#include "references.h"

#include <algorithm>
#include <cmath>

namespace atelier::test {

int convOutputSize(int in, const ConvCase& c)
{
    return ((c.upsample ? 2 * in : in) + 2 * c.pad - c.kernel) / c.stride + 1;
}

std::vector<float> conv2dReference(const std::vector<float>& in, const std::vector<float>& w,
                                   const std::vector<float>& bias, const std::vector<float>& residual,
                                   const ConvCase& c)
{
    const int oh = convOutputSize(c.height, c), ow = convOutputSize(c.width, c);
    const int up = c.upsample ? 2 : 1, h = c.height * up, wd = c.width * up;
    std::vector<float> out(size_t(c.batch) * oh * ow * c.outC);
    for (int n = 0; n < c.batch; ++n)
        for (int oy = 0; oy < oh; ++oy)
            for (int ox = 0; ox < ow; ++ox)
                for (int co = 0; co < c.outC; ++co) {
                    double s = bias.empty() ? 0.0 : bias[size_t(co)];
                    for (int ky = 0; ky < c.kernel; ++ky)
                        for (int kx = 0; kx < c.kernel; ++kx) {
                            const int y = oy * c.stride - c.pad + ky, x = ox * c.stride - c.pad + kx;
                            if (y < 0 || y >= h || x < 0 || x >= wd)
                                continue;
                            const size_t src = ((size_t(n) * c.height + y / up) * c.width + x / up) * c.inC;
                            for (int ci = 0; ci < c.inC; ++ci)
                                s += double(in[src + size_t(ci)]) *
                                     w[((size_t(co) * c.inC + ci) * c.kernel + ky) * c.kernel + kx];
                        }
                    const size_t o = ((size_t(n) * oh + oy) * ow + ox) * c.outC + co;
                    out[o] = float(s + (residual.empty() ? 0.0 : residual[o]));
                }
    return out;
}

std::vector<float> groupNormReference(const std::vector<float>& x, int images, int pixels, int channels, int groups,
                                      const std::vector<float>& gamma, const std::vector<float>& beta, double eps,
                                      bool silu)
{
    std::vector<float> out(x.size());
    const int width = channels / groups;
    for (int n = 0; n < images; ++n)
        for (int g = 0; g < groups; ++g) {
            auto at = [&](int p, int c) { return (size_t(n) * pixels + p) * channels + size_t(g) * width + c; };
            double sum = 0, ss = 0;
            for (int p = 0; p < pixels; ++p)
                for (int c = 0; c < width; ++c)
                    sum += x[at(p, c)];
            const double mean = sum / (double(pixels) * width);
            for (int p = 0; p < pixels; ++p)
                for (int c = 0; c < width; ++c)
                    ss += (x[at(p, c)] - mean) * (x[at(p, c)] - mean);
            const double inv = 1.0 / std::sqrt(ss / (double(pixels) * width) + eps);
            for (int p = 0; p < pixels; ++p)
                for (int c = 0; c < width; ++c) {
                    double y = (x[at(p, c)] - mean) * inv * gamma[size_t(g * width + c)] + beta[size_t(g * width + c)];
                    if (silu)
                        y = y / (1.0 + std::exp(-y));
                    out[at(p, c)] = float(y);
                }
        }
    return out;
}

double geluReference(double x, bool tanhForm)
{
    if (tanhForm)
        return 0.5 * x * (1.0 + std::tanh(std::sqrt(2.0 / M_PI) * (x + 0.044715 * x * x * x)));
    return 0.5 * x * (1.0 + std::erf(x / std::sqrt(2.0)));
}

double quickGeluReference(double x) { return x / (1.0 + std::exp(-1.702 * x)); }

std::vector<float> sequenceAttentionReference(const std::vector<float>& q, const std::vector<float>& k,
                                              const std::vector<float>& v, int batch, int nq, int nk, int heads,
                                              int headDim, bool causal)
{
    std::vector<float> out(q.size());
    const double scale = 1.0 / std::sqrt(double(headDim));
    std::vector<double> s(size_t(nk), 0.0);
    for (int b = 0; b < batch; ++b)
        for (int i = 0; i < nq; ++i)
            for (int h = 0; h < heads; ++h) {
                const float* qi = &q[((size_t(b) * nq + i) * heads + h) * headDim];
                const int seen = causal ? i + 1 : nk;
                double m = -1e300;
                for (int j = 0; j < seen; ++j) {
                    const float* kj = &k[((size_t(b) * nk + j) * heads + h) * headDim];
                    double dot = 0;
                    for (int d = 0; d < headDim; ++d)
                        dot += double(qi[d]) * kj[d];
                    s[size_t(j)] = dot * scale;
                    m = std::max(m, s[size_t(j)]);
                }
                double l = 0;
                for (int j = 0; j < seen; ++j)
                    l += (s[size_t(j)] = std::exp(s[size_t(j)] - m));
                for (int d = 0; d < headDim; ++d) {
                    double o = 0;
                    for (int j = 0; j < seen; ++j)
                        o += s[size_t(j)] * v[((size_t(b) * nk + j) * heads + h) * headDim + d];
                    out[((size_t(b) * nq + i) * heads + h) * headDim + d] = float(o / l);
                }
            }
    return out;
}

std::vector<float> timestepEmbeddingReference(const std::vector<float>& timesteps, int dim, bool flipSinToCos,
                                              double shift, double scale, double maxPeriod)
{
    const int half = dim / 2;
    std::vector<float> out(timesteps.size() * size_t(dim), 0.0f);
    for (size_t b = 0; b < timesteps.size(); ++b)
        for (int k = 0; k < half; ++k) {
            const double arg = scale * timesteps[b] * std::exp(-std::log(maxPeriod) * k / (half - shift));
            const double first = flipSinToCos ? std::cos(arg) : std::sin(arg);
            const double second = flipSinToCos ? std::sin(arg) : std::cos(arg);
            out[b * size_t(dim) + size_t(k)] = float(first);
            out[b * size_t(dim) + size_t(half + k)] = float(second);
        }
    return out;
}

} // namespace atelier::test
