#include "references.h"

#include <algorithm>
#include <cmath>

namespace atelier::test {

std::vector<float> matmulReference(const std::vector<float>& a, const std::vector<float>& b, int64_t m, int64_t n,
                                   int64_t k)
{
    std::vector<float> out(size_t(m * n));
    for (int64_t i = 0; i < m; ++i) {
        for (int64_t j = 0; j < n; ++j) {
            const float* ar = &a[size_t(i * k)];
            const float* br = &b[size_t(j * k)];
            double sum = 0;
            for (int64_t l = 0; l < k; ++l)
                sum += double(ar[l]) * double(br[l]);
            out[size_t(i * n + j)] = float(sum);
        }
    }
    return out;
}

std::vector<float> softmaxReference(const std::vector<float>& x, int64_t n, double scale)
{
    std::vector<float> out(x.size());
    for (size_t r = 0; r < x.size() / size_t(n); ++r) {
        const float* row = &x[r * size_t(n)];
        double mx = -INFINITY;
        for (int64_t i = 0; i < n; ++i)
            mx = std::max(mx, row[i] * scale);
        double sum = 0;
        for (int64_t i = 0; i < n; ++i)
            sum += std::exp(row[i] * scale - mx);
        for (int64_t i = 0; i < n; ++i)
            out[r * size_t(n) + size_t(i)] = float(std::exp(row[i] * scale - mx) / sum);
    }
    return out;
}

std::vector<float> rmsnormReference(const std::vector<float>& x, const std::vector<float>& weight, double eps)
{
    const size_t n = weight.size();
    std::vector<float> out(x.size());
    for (size_t r = 0; r < x.size() / n; ++r) {
        double ss = 0;
        for (size_t i = 0; i < n; ++i)
            ss += double(x[r * n + i]) * x[r * n + i];
        const double inv = 1.0 / std::sqrt(ss / double(n) + eps);
        for (size_t i = 0; i < n; ++i)
            out[r * n + i] = float(x[r * n + i] * inv * weight[i]);
    }
    return out;
}

} // namespace atelier::test
