#pragma once
// Matrix multiplication against weights in the GGUF / PyTorch Linear layout:
//   out[M, N] = a[M, K] · b[N, K]^T, i.e. out[m, n] = dot(a[m, :], b[n, :])
// a and out are f32; b (the weights, row-major [N, K]) is f32, f16, bf16 or block-quantized (q4_0,
// q4_1, q5_0, q5_1, q8_0, q4_k, q5_k, q6_k), dequantized inside the kernels. a may have leading
// batch dimensions ([..., K], M = their product); out then has the same ones ([..., N]).
// A few rows of a (decoding) take a matrix-vector kernel bound by reading b once; more rows take a
// shared-memory tiled kernel. Weights larger than maxStorageBufferRange are bound in row blocks.
// On GPUs with accelerated integer dot products, decoding over block-quantized weights takes the
// int8 path instead (MatmulOptions::int8, ops/matvec_int8.h).

#include "core/result.h"
#include "ops/glu.h"
#include "ops/tensor.h"
#include "vk/command_batch.h"
#include "vk/device_info.h"

#include <cstdint>

namespace atelier::ops {

struct MatmulOptions {
    // MatrixVectorRows: the matrix-vector kernel for CPU devices (one row of b per invocation, read
    // through texel buffers), which Auto picks there for every M, in passes of up to
    // a few rows of a (matmul.cpp, rowsBatchShape); MatrixVector: the one for GPUs.
    enum class Path { Auto, MatrixVector, Tiled, MatrixVectorRows };
    Path path = Path::Auto;
    // Rows of out per workgroup of the tiled kernel: 32, 64 or 128; 0 chooses by shape and device.
    uint32_t tileRows = 0;
    // Use the shared-memory reduction even where subgroup arithmetic is available.
    bool sharedReduction = false;
    // Bytes one binding may span; 0 means maxStorageBufferRange. Tests lower it to exercise the
    // splitting of a, b and out into blocks with small tensors.
    uint64_t maxBindingBytes = 0;
    // The int8 dot-product matrix-vector path (ops/matvec_int8.h) for the block types it covers:
    // Auto takes it for up to kMatrixVectorMaxRows rows of a on GPUs that run packed 4x8-bit dot
    // products as instructions (vk::DeviceInfo), never on CPU devices; On takes it for every M
    // wherever the type is covered and Path is Auto or MatrixVector (an error on a device without
    // shaderIntegerDotProduct); Off never. The environment variable ATELIER_INT8_MATVEC=on or off
    // replaces Auto, so a whole forward pass can be run either way.
    enum class Int8 { Auto, On, Off };
    Int8 int8 = Int8::Auto;
};

// Rows of a the matrix-vector kernel takes per pass (each pass reads b once), and up to which
// Path::Auto picks it: on an H100 the tiled kernel needed 0.33 ms for M = 5..32 rows against a
// 4096 x 4096 f16 weight, where a matrix-vector pass took 0.01-0.02 ms.
constexpr int64_t kMatrixVectorPassRows = 8;
constexpr int64_t kMatrixVectorMaxRows = 16;
// The CPU rows kernel beat the tiled kernel at every M measured on lavapipe (2 cores), 3-6x at
// M = 64 and 512 (f16, q4_k, q5_0, q6_k, q8_0): the tiled kernel's shared memory is read lane by
// lane and its barriers switch coroutines there. Its rows of a per pass depend on the weight type
// (matmul.cpp, rowsBatchShape); each pass count is a pipeline of its own, so passes take powers of
// two: 13 rows in passes of 8 are passes of 8, 4 and 1.

// Whether the rows kernel (matvec_rows.comp) can take b: it reads a as 16-byte texels and b from
// 16-byte texels, so rows of a must start on 4 floats and rows of plain b on 16 bytes (block types
// realign each block themselves). ops::matmulExperts shares the kernel and the rule.
bool rowsKernelFits(DType b, uint64_t K);

Status matmul(vk::CommandBatch& batch, const Tensor& a, const Tensor& b, Tensor& out,
              const MatmulOptions& options = {});

// What the rows kernel applies to each product before storing it, in the same pass (a Linear layer's
// epilogue, ops/linear.h): out = [out +] act(a . b^T + bias). With parts > 1 the product's N columns
// are parts blocks of N / parts, block p stored as rows of its own at p * partStride in out (q, k
// and v of a fused projection, each [M, N / parts]).
struct MatmulEpilogue {
    const Tensor* bias = nullptr; // [N] f32
    uint32_t activation = 0;      // 0 none, 1 erf GELU, 2 tanh GELU, 3 quick GELU (matvec_rows.comp's ACT)
    bool residual = false;        // add the product to what out holds
    uint64_t parts = 1;
    uint64_t partStride = 0;      // elements between parts of out; 0: M * N / parts
};

// Whether matmulEpilogue can take these shapes on this device (the rows kernel over plain f32,
// f16 or bf16 weights); elsewhere ops::linear runs the epilogue as passes of its own.
bool matmulFusesEpilogue(const vk::DeviceInfo& info, DType b, uint64_t M, uint64_t K);

// out = matmul with the epilogue, one pass; out is [..., N] for one part, else holds every part.
Status matmulEpilogue(vk::CommandBatch& batch, const Tensor& a, const Tensor& b, Tensor& out,
                      const MatmulEpilogue& epilogue);

// A gated feed-forward's first half: out = act(a · gate^T) * (a · up^T), gate and up [N, K] of one
// type. CPU devices decode it (one row of a) in one pass of the rows kernel, a fetched once for
// both; otherwise it is two matmuls (up's product in upScratch, shaped like out) and ops::glu.
Status matmulGlu(vk::CommandBatch& batch, const Tensor& a, const Tensor& gate, const Tensor& up, Tensor& out,
                 Tensor& upScratch, GluActivation act);

// The seam after a block's output projection (ops::residualNorm) in the projection's own pass:
// out = a · b^T for one row of a, then x += [rmsnorm(out) * postWeight] and xn = rmsnorm(x) *
// nextWeight, done by whichever invocation finishes last (matvec_rows.comp's RESIDUAL_NORM). On CPU
// devices a dispatch costs lavapipe a wake-up of its threads, as much as the seam's arithmetic.
// `finished`: 4 bytes holding 0, which each pass leaves at 0 again.
struct ResidualNormSeam {
    Tensor* x = nullptr;                // f32 [1, N] the residual stream, updated
    const Tensor* postWeight = nullptr; // f32 [N], or none
    const Tensor* nextWeight = nullptr; // f32 [N]
    Tensor* xn = nullptr;               // f32 [1, N]
    float eps = 1e-6f;
    vk::BufferRange finished;
};

// Returns false, recording nothing, where the rows kernel would not take the product in one pass
// (GPUs, several rows of a, the int8 path, weights past one binding): the caller records matmul and
// residualNorm.
Result<bool> matmulResidualNorm(vk::CommandBatch& batch, const Tensor& a, const Tensor& b, Tensor& out,
                                const ResidualNormSeam& seam);

} // namespace atelier::ops
