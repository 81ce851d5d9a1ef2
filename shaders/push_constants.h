// Push-constant blocks shared by C++ (compute/ops/*.cpp) and GLSL (shaders/*.comp), so the two
// sides cannot drift. Only 32-bit scalars: C++ and std430 lay them out identically.
#ifndef ATELIER_PUSH_CONSTANTS_H
#define ATELIER_PUSH_CONSTANTS_H

#ifdef __cplusplus
#include <cstdint>
namespace atelier::shader {
using uint = uint32_t;
#endif

// elementwise.comp: out[i] = op(a[i], b[(bOffset + i) % nb]) for i < n, or out[i] = a[i] * scale.
struct ElementwisePush {
    uint n;       // elements in this dispatch
    uint nb;      // elements of b (b repeats when nb < n: broadcast over rows)
    uint bOffset; // index of this dispatch's first element in the whole tensor, for the modulo
    float scale;
};

// matmul.comp, matvec.comp: out[m, n] = dot(a[m, :], b[n, :]) over one block of rows of a and b.
// Offsets are in elements from the start of each bound range (ranges start at aligned bytes).
struct MatmulPush {
    uint M;         // rows of a and out in this dispatch
    uint N;         // rows of b (columns of out) in this dispatch
    uint K;
    uint aOffset;   // a[0, 0]
    uint bOffset;   // b[0, 0]
    uint outOffset; // out[0, 0]
    uint outStride; // elements between rows of out (the full N)
};

// softmax.comp: out[r, :] = softmax(x[r, :] * scale) for r < rows.
struct SoftmaxPush {
    uint rows;      // rows in this dispatch, one workgroup each
    uint n;         // row length
    uint xOffset;   // elements from the bound start of x to its first row
    uint outOffset;
    float scale;
};

// rmsnorm.comp: out[r, :] = x[r, :] / sqrt(mean(x[r, :]^2) + eps) * weight.
struct RmsNormPush {
    uint rows;      // rows in this dispatch, one workgroup each
    uint n;         // row length
    uint xOffset;   // elements from the bound start of x to its first row
    uint outOffset;
    float eps;
};

// fft_multiply.comp: the pad / multiply / crop steps around VkFFT in ops/fft_blur.cpp.
struct FftConvolvePush {
    uint height;       // image rows
    uint width;        // image columns
    uint paddedHeight; // transform rows
    uint paddedWidth;  // transform columns (real); the spectrum has paddedWidth / 2 + 1
    uint count;        // invocations that do work
};

#ifdef __cplusplus
} // namespace atelier::shader
#endif

#endif
