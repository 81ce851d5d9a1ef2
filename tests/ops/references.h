#pragma once
// Plain CPU references for the kernels, accumulating in double.

#include <cstdint>
#include <vector>

namespace atelier::test {

// out[m, n] = sum_k a[m, k] * b[n, k]
std::vector<float> matmulReference(const std::vector<float>& a, const std::vector<float>& b, int64_t m, int64_t n,
                                   int64_t k);

// Row-wise softmax(x * scale) over rows of length n.
std::vector<float> softmaxReference(const std::vector<float>& x, int64_t n, double scale);

// x / sqrt(mean(x^2) + eps) * weight over rows of length weight.size().
std::vector<float> rmsnormReference(const std::vector<float>& x, const std::vector<float>& weight, double eps);

} // namespace atelier::test
