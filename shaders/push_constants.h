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

// matvec_rows.comp with RESIDUAL_NORM: MatmulPush's fields for one row of a, then the seam after it
// (ops::matmulResidualNorm): x += [rmsnorm(out) * post], xn = rmsnorm(x) * next, by the last of
// `subgroups` to finish.
struct MatmulResidualNormPush {
    uint M;
    uint N;
    uint K;
    uint aOffset;
    uint bOffset;
    uint outOffset;
    uint outStride;
    uint xOffset;     // elements from the bound starts of x and xn
    uint xnOffset;
    uint subgroups;   // subgroups in the dispatch; each counts once its lanes have stored
    uint postNorm;    // 1: out is RMS-normalised and scaled by post before the add
    float eps;
};

// matvec_rows.comp with GLU: out[m, n] = act(dot(a[m, :], gate[n, :])) * dot(a[m, :], up[n, :]);
// the fields of MatmulPush (bOffset: gate[0, 0]) and where up[0, 0] is.
struct MatmulGluPush {
    uint M;
    uint N;
    uint K;
    uint aOffset;
    uint bOffset;
    uint outOffset;
    uint outStride;
    uint upOffset;
};

// matvec_rows.comp with EPILOGUE (ops::matmulEpilogue): the fields of MatmulPush, then what is
// applied to dot(a[m, :], b[n, :]) before it is stored: + bias[n], an activation, + out (the residual
// stream). Column n of the whole product (nFirst + the dispatch's n) is element
// (n / partColumns) * partStride + m * outStride + n % partColumns of out, from outOffset (which may
// wrap below the bound range's start: uint arithmetic): fused projections split into their parts.
struct MatmulEpiloguePush {
    uint M;
    uint N;
    uint K;
    uint aOffset;
    uint bOffset;
    uint outOffset;   // out's element 0 (of part 0, row 0 of this dispatch), mod 2^32
    uint outStride;   // elements between rows of a part
    uint biasOffset;  // bias[0] of the whole product, mod 2^32
    uint nFirst;      // the dispatch's first column of the whole product
    uint partColumns; // columns per part (all of N for one part)
    uint partStride;  // elements between parts
};

// matvec_rows.comp and matvec.comp with EXPERTS (a mixture of experts' "mul_mat_id"): pair z of
// workgroup z (firstPair + z) multiplies row (firstPair + z) / aRowEvery of a by the matrix of the
// expert routes[pair] names, out row firstPair + z. b holds experts firstExpert ..
// firstExpert + experts - 1, expertStride apart (in bOffset's units); pairs routed elsewhere are
// another dispatch's. With GLU, upOffset is up's matrix of firstExpert.
struct MatmulExpertsPush {
    uint M;            // 1: one row of a per pair
    uint N;
    uint K;
    uint aOffset;
    uint bOffset;
    uint outOffset;
    uint outStride;
    uint upOffset;
    uint expertStride;
    uint firstExpert;
    uint experts;
    uint aRowEvery;    // pairs per row of a: the experts each token uses, or 1 (a row per pair)
    uint firstPair;
    uint routeOffset;  // routes[0, 0, 0] in the bound range
};

// experts.comp ROUTE: per token t < tokens, the `used` largest of softmax(logits[t, :experts]),
// as routes[t, s] = (expert index as a float, weight): weights divided by their sum where
// normalize != 0, then times scale. COMBINE: out[t, c] = sum_s weight[t, s] * y[t * used + s, c].
struct ExpertsPush {
    uint tokens;
    uint experts;
    uint used;
    uint normalize;
    float scale;
    uint n;         // COMBINE: row length of y and out
    uint inOffset;  // logits (ROUTE) or y (COMBINE)
    uint routeOffset;
    uint outOffset; // routes (ROUTE) or out (COMBINE)
};

// masked_sum.comp: out[i] (+)= mask[(i / channels) % pixels] * x[i] for i < count.
struct MaskedSumPush {
    uint count;      // batch * pixels * channels in this dispatch
    uint pixels;
    uint channels;
    uint accumulate; // 0: out = the term; otherwise out += it
    uint xOffset;
    uint maskOffset;
    uint outOffset;
};

// softmax.comp: out[r, :] = softmax(x[r, :] * scale) for r < rows.
struct SoftmaxPush {
    uint rows;      // rows in this dispatch, one workgroup each
    uint n;         // row length
    uint xOffset;   // elements from the bound start of x to its first row
    uint outOffset;
    float scale;
};

// top_logits.comp: the candidates for the next token (ops/top_logits.h).
struct TopLogitsPush {
    uint n;            // logits in the row
    uint logitsOffset; // elements from the bound start of the logits to the row
    uint groupSize;    // logits per group maximum
    uint groups;       // ceil(n / groupSize)
    uint rank;         // threshold = the (rank+1)-th largest group maximum; rank < groups
    uint capacity;     // candidates the selected list holds
};

// attention_tokens_rows.comp: sequence attention on CPU devices (ops/sequence_attention.h).
struct TokenAttentionRowsPush {
    uint queries;     // query tokens in this dispatch
    uint heads;
    uint nk;          // key tokens
    uint nkPad;       // nk rounded up to 4: the length of a row of scores
    uint rowElements; // heads * headDim: between tokens of q, k, v and out
    uint firstQuery;  // token index of query 0, for the causal mask
    uint causal;
    uint qOffset;     // elements from the bound starts (multiples of 4)
    uint kOffset;
    uint vOffset;
    uint outOffset;
};

// group_norm_rows.comp: GroupNorm on CPU devices in three passes (ops/group_norm.h).
struct GroupNormRowsPush {
    uint images;
    uint pixels;       // per image
    uint channels;     // a multiple of 4 and of groups; channels / groups even
    uint groups;
    uint chunks;       // ceil(pixels / CHUNK_PIXELS)
    uint xOffset;      // elements from the bound starts (multiples of 4)
    uint outOffset;
    uint paramsOffset; // floats from the workspace's start to the scales and shifts (a multiple of 4)
    uint silu;
    float eps;
};

// rmsnorm.comp: out[r, :] = x[r, :] / sqrt(mean(x[r, :]^2) + eps) * weight.
struct RmsNormPush {
    uint rows;      // rows in this dispatch, one workgroup each
    uint n;         // row length
    uint xOffset;   // elements from the bound start of x to its first row
    uint outOffset;
    float eps;
};

// residual_norm.comp: x[r, :] += [rmsnorm(y[r, :]) * post]; xn[r, :] = rmsnorm(x[r, :]) * next.
struct ResidualNormPush {
    uint rows;      // rows in this dispatch, one workgroup each
    uint n;         // row length
    uint xOffset;   // elements from the bound starts to the first row of x, y and xn
    uint yOffset;
    uint xnOffset;
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

// rope.comp: rotary position embedding of x[tokens, heads, headDim] (ops/rope.h), one invocation per
// pair. Token t is at position startPosition + t; pair i < nRot / 2 turns by
// (position * 2^(i * log2ThetaScale) / freqFactor[i]) * freqScale radians.
struct RopePush {
    uint pairs;           // invocations that do work: rows * headDim / 2
    uint headDim;
    uint nRot;            // rotated dimensions (even, <= headDim); the rest is copied
    uint heads;           // rows per token
    uint startPosition;
    uint xOffset;         // elements from the bound start of x / out to their first row
    uint outOffset;
    uint hasFreqFactors;  // 1: divide each pair's angle by freqFactor[i]
    float log2ThetaScale; // log2(freqBase^(-2 / nRot))
    float freqScale;
    float normEps;        // NORM: each row is RMS-normalised (times the norm weight) first
};

// attention.comp: flash attention of q[tokens, heads, headDim] over the f16 caches
// k, v[kvHeads, capacity, headDim], one workgroup per (block of query rows, kv head, kv split).
// Query rows of one kv head are ordered token-major (row = token * group + head in group).
struct AttentionPush {
    uint tokens;         // query tokens in this dispatch
    uint heads;          // query heads (all of them: the row stride of q and out)
    uint group;          // query heads per kv head
    uint firstKvHead;    // kv head of gl_WorkGroupID.y == 0
    uint headStride;     // elements between kv heads in k and v (capacity * headDim)
    uint kvLength;       // rows of each kv head that exist
    uint startPosition;  // position of query token 0
    uint window;         // sliding window (0: none); query at p sees (p - window, p]
    uint causal;
    uint splits;         // kv splits (gl_WorkGroupID.z); > 1 writes partials to the workspace
    uint qOffset;        // elements from the bound starts to the first element
    uint kOffset;
    uint vOffset;
    uint outOffset;
    float scale;
    float softCap;       // 0: off, else cap * tanh(score / cap)
};

// attention.comp with COMBINE: out[row] = merge over splits of the workspace partials.
struct AttentionCombinePush {
    uint rows;           // query rows (tokens * heads)
    uint splits;
    uint outOffset;
};

// attention_rows.comp (CPU devices, few query rows): SCORES writes scores[row, j] = scale * q[row] . k[lo + j]
// for j < span; VALUES writes out[row] = softmax over the row's visible j of scores[row, :] . v[lo + j].
// Query row = token * heads + head; texel indices are in vec4s of q and in 8-half texels of k and v.
struct AttentionRowsPush {
    uint heads;          // query heads (rows per token)
    uint group;          // query heads per kv head
    uint headStride;     // elements between kv heads in k and v (capacity * headDim); all are bound
    uint lo;             // first kv row scored
    uint span;           // kv rows scored: lo .. lo + span - 1 (and elements between rows of scores)
    uint startPosition;  // position of token 0
    uint window;         // sliding window (0: none); causal always
    uint qOffset;        // elements from the bound starts (q and out: a multiple of 4; k, v: of 8)
    uint kvOffset;       // k and v share one layout and offset
    uint outOffset;
    float scale;
    float softCap;       // 0: off
};

// kv_store.comp: cache[h, position of token t, :] = f16(x[t, h, :]).
struct KvStorePush {
    uint count;          // elements in this dispatch: tokens * heads * headDim
    uint heads;          // kv heads in this dispatch
    uint headDim;
    uint headStride;     // elements between kv heads in the cache (capacity * headDim)
    uint xOffset;        // elements from the bound start of x to token 0 of the first head
    uint cacheOffset;    // elements from the bound start of the cache to [first head, position of token 0, 0]
    uint xHeadOffset;    // index of the first head of this dispatch among x's heads
    uint xHeads;         // heads per token in x
};

// attention_inputs.comp: per token, RoPE of the query rows in place and of the key rows into the f16
// k cache, each row first RMS-normalised by its weight where normFlags says so, and the value rows
// into the f16 v cache; one workgroup per row. Rows of token t: qHeads query rows, then kvHeads key
// rows, then kvHeads value rows.
struct AttentionInputsPush {
    uint tokens;          // tokens in this dispatch
    uint qHeads;          // query rows per token in this dispatch (all heads, or 0: another dispatch ropes them)
    uint kvHeads;         // kv heads in this dispatch
    uint kvHeadsInRow;    // kv heads per token of k and v
    uint kvHeadOffset;    // index of this dispatch's first kv head among them
    uint headDim;
    uint nRot;            // rotated dimensions (even, <= headDim); the rest is copied
    uint startPosition;   // position of this dispatch's token 0
    uint qOffset;         // elements from the bound starts of q, k and v to their token 0
    uint kOffset;
    uint vOffset;
    uint kCacheOffset;    // elements from the bound start of each cache to [first head, position of token 0, 0]
    uint vCacheOffset;
    uint headStride;      // elements between kv heads in the caches (capacity * headDim)
    uint hasFreqFactors;  // 1: divide each pair's angle by freqFactor[i]
    uint normFlags;       // NORM: bit 0, query rows are RMS-normalised first; bit 1, key rows
    float log2ThetaScale; // log2(freqBase^(-2 / nRot))
    float freqScale;
    float normEps;
};

// attention_decode.comp: one decoded token's attention on CPU devices (ops/decode_attention.h).
struct AttentionDecodePush {
    uint group;           // query heads per kv head
    uint headStride;      // elements between kv heads in the caches (capacity * headDim)
    uint position;        // the token's position: its k and v go to cache row `position`
    uint lo;              // first cached row it sees (sliding window), <= position
    uint qOffset;         // elements from the bound starts of q, k, v and out to head 0 (multiples of 4)
    uint kOffset;
    uint vOffset;
    uint outOffset;
    uint kvOffset;        // elements from the bound starts of the caches to [head 0, row 0] (a multiple of 8)
    uint hasFreqFactors;  // 1: divide each pair's angle by freqFactor[i]
    uint normFlags;       // bit 0: query rows are RMS-normalised first; bit 1: key rows
    float log2ThetaScale; // log2(freqBase^(-2 / headDim))
    float freqScale;
    float normEps;
    float scale;          // on q.k
    float softCap;        // 0: off
};

// glu.comp: out[r, c] = act(gate[r, c]) * up[r, c] for c < n, gate and up rows `stride` apart.
struct GluPush {
    uint count;          // elements in this dispatch (rows * n)
    uint n;              // row length of out
    uint stride;         // elements between rows of gate and up (n, or 2n for the fused form)
    uint gateOffset;
    uint upOffset;
    uint outOffset;
};

// get_rows.comp: out[i, :] = table[ids[idOffset + i], :] * scale for the ids in this dispatch
// whose row lies in the bound window of the table (rows rowFirst .. rowFirst + rows - 1).
struct GetRowsPush {
    uint dim;         // row length
    uint idOffset;    // elements from the bound start of ids to this dispatch's first id
    uint rowFirst;    // table row at the start of the window
    uint rows;        // table rows in the window
    uint tableOffset; // from the bound start of the table to row rowFirst: elements, or bytes for block types
    uint outOffset;   // elements from the bound start of out to its first row
    float scale;
};

// ---- Stable Diffusion kernels. Activations are NHWC: [batch, height, width, channels], i.e. the
// [batch, tokens, channels] rows the transformer blocks and matmul() use (ops/conv2d.h).

// conv2d.comp: out[n, oy, ox, co] = bias[co] + residual[n, oy, ox, co] +
//   sum over (ky, kx, ci) of in[n, oy * stride - pad + ky, ox * stride - pad + kx, ci] * w[co, ky, kx, ci]
// as an implicit GEMM (M = output pixels, N = outC, K = kh * kw * inC). With upsample the input is
// read through a nearest 2x upsample: pixel (y, x) of the 2inH x 2inW image is in[y / 2, x / 2].
struct Conv2dPush {
    uint images;         // images in this dispatch
    uint inH;            // rows of one input image (before upsampling)
    uint inW;
    uint inC;
    uint outRows;        // output rows of each image in this dispatch
    uint outW;
    uint outC;
    uint outRowFirst;    // output row of the dispatch's first row within its image
    uint inRowFirst;     // input row at the start of the bound input window (0 with several images)
    uint stride;
    uint pad;
    uint upsample;       // 1: read the input through a nearest 2x upsample
    uint hasBias;
    uint hasResidual;
    uint inOffset;       // elements from the bound starts to the first element
    uint weightOffset;
    uint biasOffset;
    uint residualOffset;
    uint outOffset;
};

// group_norm.comp: per (image, group), x[n, :, group's channels] normalised to mean 0 and variance 1
// (biased, plus eps), then * gamma[c] + beta[c], then SiLU if silu != 0. One workgroup per pair.
// layer_norm.comp uses the same block with groups = 1 and pixels = 1 per row (rows = images).
struct NormPush {
    uint images;         // images (group norm) or rows (layer norm) in this dispatch
    uint pixels;         // pixels per image (1 for layer norm)
    uint channels;
    uint groups;
    uint xOffset;
    uint outOffset;
    uint silu;
    float eps;
};

// group_norm.comp with BAND_STATS / BAND_APPLY: an image larger than a binding, in bands of pixels.
// BAND_STATS writes each (band, group)'s element count, mean and sum of squared deviations;
// BAND_APPLY merges an image's bands for its group, then normalises one band. The first eight
// fields are NormPush's (images is 1).
struct NormBandPush {
    uint images;
    uint pixels;         // pixels in this band
    uint channels;
    uint groups;
    uint xOffset;
    uint outOffset;
    uint silu;
    float eps;
    uint statsOffset;    // BAND_STATS: this band's first value; BAND_APPLY: the image's first value
    uint bands;          // BAND_APPLY: bands of the image
};

// gelu.comp: out[i] = gelu(x[i]), or with GATED out[r, c] = x[r, c] * gelu(x[r, n + c]) for rows of
// 2n (diffusers' GEGLU: hidden, gate = proj(x).chunk(2)).
struct GeluPush {
    uint count;          // output elements in this dispatch
    uint n;              // output row length (GATED)
    uint xOffset;
    uint outOffset;
};

// channels.comp: per-pixel channel work on NHWC rows, one invocation per output element.
//   UPSAMPLE: out[n, y, x, c] = in[n, y / 2, x / 2, c]       (width: input columns)
//   CONCAT:   out[p, :] = [a[p, 0 .. width), b[p, 0 .. channels - width)]
//   ADD_BIAS: out[n, p, c] = (a[n, p, c] + b[n or 0, c]) * scale   (width: pixels * channels)
struct ChannelsPush {
    uint count;          // output elements in this dispatch
    uint channels;       // channels of out
    uint width;          // see above
    uint first;          // ADD_BIAS: index of the dispatch's first element within its image
    uint biasPerImage;   // ADD_BIAS: 1: b has a row per image (from the dispatch's first image); 0: one row
    uint aOffset;        // elements from the bound starts to the first element
    uint bOffset;
    uint outOffset;
    float scale;
};

// timestep_embedding.comp: out[b, i] for i < halfDim = cos or sin(t_b * f_i), the other half the other
// one, f_i = exp(-log(maxPeriod) * i / (halfDim - shift)) (diffusers' get_timestep_embedding).
struct TimestepPush {
    uint count;          // batch * dim
    uint dim;
    uint halfDim;        // dim / 2
    uint flipSinToCos;   // 1: [cos, sin]
    float logMaxPeriod;
    float shift;         // downscale_freq_shift
    float scale;
};

// strided_copy.comp: out[outOffset + r * outRowStride + c * outColStride] =
// in[inOffset + r * inRowStride + c * inColStride] for r < rows, c < cols, converting the type
// (transposes, f32 <-> f16, padding copies).
struct StridedCopyPush {
    uint rows;
    uint cols;
    uint inRowStride;
    uint inColStride;
    uint outRowStride;
    uint outColStride;
    uint inOffset;       // elements from the bound starts to element [0, 0]
    uint outOffset;
};

// lora_merge.comp: w[o, c] += scale * sum_k up[o, k] * down[k, c] for the rows of w in this
// dispatch; up [rows, rank], down [rank, cols] f32, w f32 or f16 (a LoRA merged into a weight).
struct LoraMergePush {
    uint rows;           // rows of w (and up) in this dispatch
    uint cols;
    uint rank;
    uint wOffset;        // elements from the bound start to w[first row, 0]
    uint upOffset;       // elements from the bound start to up[first row, 0]
    float scale;
};

// quantize_q8_1.comp: blocks of 32 f32 values of a (rows of K, K a multiple of 32) into 8-bit
// activations: block i's 32 int8 in words 8i..8i+7 from qOffset, and vec2(d, d * sum(q)) at
// dsOffset + i (vec2 units); value j = d * q[j], d = max|x| / 127.
struct QuantizeQ8Push {
    uint blocks;   // blocks in this dispatch
    uint aOffset;  // elements from the bound start of a to the first block's first value
    uint qOffset;  // words
    uint dsOffset; // vec2s
};

// matvec_dot.comp: out[m, n] = dot(a[m, :], b[n, :]) with a as quantize_q8_1.comp wrote it (bound
// at 0: rows of K / 32 blocks; q from qOffset in uvec4s, 2 per block, ds from dsOffset in vec2s)
// and b block-quantized (bOffset in bytes).
struct MatvecDotPush {
    uint M;
    uint N;
    uint K;
    uint qOffset;
    uint bOffset;
    uint outOffset;
    uint outStride;
    uint dsOffset;
};

#ifdef __cplusplus
} // namespace atelier::shader
#endif

#endif
