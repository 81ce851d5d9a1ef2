#include "references.h"

#include <algorithm>
#include <cmath>

namespace atelier::test {

std::vector<float> ropeReference(const std::vector<float>& x, const RopeCase& c)
{
    std::vector<float> out = x;
    const int half = c.nRot / 2;
    for (int t = 0; t < c.tokens; ++t) {
        const double pos = double(c.startPosition) + t;
        for (int h = 0; h < c.heads; ++h) {
            const size_t base = (size_t(t) * c.heads + h) * c.headDim;
            for (int i = 0; i < half; ++i) {
                double theta = c.freqScale * pos * std::pow(c.freqBase, -2.0 * i / c.nRot);
                if (!c.freqFactors.empty())
                    theta /= c.freqFactors[size_t(i)];
                const size_t a = base + (c.neox ? i : 2 * i);
                const size_t b = base + (c.neox ? i + half : 2 * i + 1);
                const double x0 = x[a], x1 = x[b];
                out[a] = float(x0 * std::cos(theta) - x1 * std::sin(theta));
                out[b] = float(x0 * std::sin(theta) + x1 * std::cos(theta));
            }
        }
    }
    return out;
}

std::vector<float> attentionReference(const std::vector<float>& q, const std::vector<float>& k,
                                      const std::vector<float>& v, const AttentionCase& c)
{
    const int d = c.headDim, group = c.heads / c.kvHeads;
    std::vector<float> out(q.size());
    std::vector<double> score(c.kvLength);
    for (int t = 0; t < c.tokens; ++t) {
        const int64_t pos = int64_t(c.startPosition) + t;
        for (int h = 0; h < c.heads; ++h) {
            const float* qr = &q[(size_t(t) * c.heads + h) * d];
            const size_t head = size_t(h / group) * c.capacity * d;
            double m = -INFINITY;
            for (int64_t j = 0; j < c.kvLength; ++j) {
                // A window cuts rows before it both ways; the causal mask also those after pos.
                const bool visible = (!c.causal || j <= pos) && (c.window == 0 || j + c.window > pos);
                double s = 0;
                for (int i = 0; i < d; ++i)
                    s += double(qr[i]) * k[head + j * d + i];
                s *= c.scale;
                if (c.softCap > 0)
                    s = c.softCap * std::tanh(s / c.softCap);
                score[j] = visible ? s : -INFINITY;
                m = std::max(m, score[j]);
            }
            double sum = 0;
            for (int64_t j = 0; j < c.kvLength; ++j) {
                score[j] = std::exp(score[j] - m);
                sum += score[j];
            }
            std::vector<double> o(size_t(d), 0.0);
            for (int64_t j = 0; j < c.kvLength; ++j) {
                for (int i = 0; score[j] != 0 && i < d; ++i)
                    o[size_t(i)] += score[j] * v[head + j * d + i];
            }
            for (int i = 0; i < d; ++i)
                out[(size_t(t) * c.heads + h) * d + i] = float(o[size_t(i)] / sum);
        }
    }
    return out;
}

std::vector<float> gluReference(const std::vector<float>& gate, const std::vector<float>& up, bool geluTanh)
{
    std::vector<float> out(gate.size());
    for (size_t i = 0; i < gate.size(); ++i) {
        const double x = gate[i];
        const double a = geluTanh ? 0.5 * x * (1.0 + std::tanh(std::sqrt(2.0 / M_PI) * (x + 0.044715 * x * x * x)))
                                  : x / (1.0 + std::exp(-x));
        out[i] = float(a * up[i]);
    }
    return out;
}

double worstDifference(const std::vector<float>& a, const std::vector<float>& b)
{
    double worst = 0, scale = 1e-30;
    for (size_t i = 0; i < a.size(); ++i) {
        worst = std::max(worst, std::fabs(double(a[i]) - double(b[i])));
        scale = std::max(scale, std::fabs(double(b[i])));
    }
    return a.size() == b.size() ? worst / scale : INFINITY;
}

double halfUnits(const std::vector<float>& a, const std::vector<float>& b)
{
    double worst = 0;
    for (size_t i = 0; i < a.size(); ++i) {
        const double unit = std::ldexp(1.0, std::max(std::ilogb(std::max(std::fabs(b[i]), 6.1e-5f)), -14) - 10);
        worst = std::max(worst, std::fabs(double(a[i]) - b[i]) / unit);
    }
    return a.size() == b.size() ? worst : INFINITY;
}

} // namespace atelier::test
