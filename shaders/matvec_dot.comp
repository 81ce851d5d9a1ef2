#version 450
// out[m, n] = dot(a[m, :], b[n, :]) for the few rows of a of decoding, in integer arithmetic: a comes
// as 8-bit blocks of 32 (quantize_q8_1.comp) and b's quants are unpacked to signed bytes, so each
// 32-value unit is 8 packed 4x8-bit dot products (OpSDotKHR) and a multiply by the two blocks'
// scales. A workgroup owns ROWS rows of b; its invocations take consecutive halves of units (16
// values: 4 words of a, the contiguous words of one block) and reduce as matvec.comp does. b is
// q4_0, q4_1, q5_0, q5_1, q8_0 (a unit is a block), q4_k, q5_k or q6_k (a unit is an eighth of a
// 256-value block); loads go through dequant.glsl's ld16/ld32/ld64/ld128, no wider than each
// block's alignment.
#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_spirv_intrinsics : require
#ifdef SUBGROUP_REDUCE
#extension GL_KHR_shader_subgroup_arithmetic : require
#endif

// OpSDotKHR (opcode 4450, SPV_KHR_integer_dot_product, capabilities DotProduct = 6019 and
// DotProductInput4x8BitPacked = 6018) of two words as 4 signed bytes each; the last operand is
// PackedVectorFormat4x8Bit (0). Debian 12's glslang 12 predates GL_EXT_integer_dot_product, but
// spirv_intrinsics emits the instruction itself, so no newer toolchain is needed and spirv-val
// accepts the result.
spirv_instruction(extensions = ["SPV_KHR_integer_dot_product"], capabilities = [6019, 6018], id = 4450)
int sdot4x8(uint a, uint b, spirv_literal int packedFormat);
int dot4(uint a, uint b) { return sdot4x8(a, b, 0); }

#define WEIGHTS_BINDING 1
#include "common.glsl"
#include "dequant.glsl"
#include "push_constants.h"

layout(constant_id = 1) const uint ROWS = 2;  // rows of b per workgroup
layout(constant_id = 2) const uint MROWS = 1; // rows of a, = p.M

layout(push_constant) uniform Push { MatvecDotPush p; };

layout(std430, binding = 0) readonly buffer AQ { uvec4 aq[]; };  // two per block: 32 int8
layout(std430, binding = 0) readonly buffer ADS { vec2 ads[]; }; // per block: d, d * sum(q)
layout(std430, binding = 2) writeonly buffer Out { float outv[]; };

const uint UNITS = BLOCK_K / 32; // 32-value units per block
const uint kLowNibbles = 0x0F0F0F0Fu;

// Each byte of x (0..127) minus c, as a signed byte: no borrow crosses bytes.
uint minusBytes(uint x, uint c) { return ((x | 0x80808080u) - c * 0x01010101u) ^ 0x80808080u; }
// Bits 0..3 of h4 to bit 4 of bytes 0..3 (a multiply places bit k at 8k; no two terms collide).
uint fifthBitBytes(uint h4) { return ((h4 * 0x00204081u) & 0x01010101u) << 4; }

// Half `part` (values 16 part .. 16 part + 15) of unit j of the block at byte `b`: its 16 weights as
// signed bytes (w[i]: values 4i..4i+3 of the part) and the scales that turn their integer dot
// product p with the same part of a block of a (d, s) into d * scale.x * p + scale.y * s. The term
// of the block's sum (offset formats) goes with part 0 only: the two parts add up to the unit.
void halfWeights(uint b, uint j, uint part, out uint w[4], out vec2 scale)
{
    const uint shift = 4 * part; // nibble of the 32-value types' shared qs bytes
#if defined(TYPE_Q8_0)
    for (uint i = 0; i < 4; ++i)
        w[i] = ld32(b + 2 + 16 * part + 4 * i);
    scale = vec2(ldHalf(b), 0.0);
#elif defined(TYPE_Q4_0)
    for (uint i = 0; i < 4; ++i)
        w[i] = minusBytes((ld32(b + 2 + 4 * i) >> shift) & kLowNibbles, 8);
    scale = vec2(ldHalf(b), 0.0);
#elif defined(TYPE_Q4_1)
    const vec2 dm = unpackHalf2x16(ld32(b));
    for (uint i = 0; i < 4; ++i)
        w[i] = (ld32(b + 4 + 4 * i) >> shift) & kLowNibbles;
    scale = vec2(dm.x, part == 0 ? dm.y : 0.0);
#elif defined(TYPE_Q5_0)
    const uint qh = ld32(b + 2);
    for (uint i = 0; i < 4; ++i) {
        const uint x = (ld32(b + 6 + 4 * i) >> shift) & kLowNibbles;
        w[i] = minusBytes(x | fifthBitBytes((qh >> (16 * part + 4 * i)) & 0xFu), 16);
    }
    scale = vec2(ldHalf(b), 0.0);
#elif defined(TYPE_Q5_1)
    const uvec2 head = ld64(b);
    const vec2 dm = unpackHalf2x16(head.x);
    for (uint i = 0; i < 4; ++i) {
        const uint x = (ld32(b + 8 + 4 * i) >> shift) & kLowNibbles;
        w[i] = x | fifthBitBytes((head.y >> (16 * part + 4 * i)) & 0xFu);
    }
    scale = vec2(dm.x, part == 0 ? dm.y : 0.0);
#elif defined(TYPE_Q4_K)
    // Sub-block j: the low (even j) or high nibbles of the 32 bytes of qs pair j / 2.
    const vec2 s = subBlockScales(ld128(b), j);
    for (uint i = 0; i < 4; ++i)
        w[i] = (ld32(b + 16 + 32 * (j >> 1) + 16 * part + 4 * i) >> (4 * (j & 1))) & kLowNibbles;
    scale = vec2(s.x, part == 0 ? -s.y : 0.0);
#elif defined(TYPE_Q5_K)
    const vec2 s = subBlockScales(ld128(b), j);
    for (uint i = 0; i < 4; ++i) {
        const uint x = (ld32(b + 48 + 32 * (j >> 1) + 16 * part + 4 * i) >> (4 * (j & 1))) & kLowNibbles;
        w[i] = x | (((ld32(b + 16 + 16 * part + 4 * i) >> j) & 0x01010101u) << 4);
    }
    scale = vec2(s.x, part == 0 ? -s.y : 0.0);
#elif defined(TYPE_Q6_K)
    // Unit j = 4h + r: values 32r + l of part h of the block (dequant.glsl's layout); each 16
    // values have a scale of their own, 2j + part.
    const uint h = j >> 2, r = j & 3;
    for (uint i = 0; i < 4; ++i) {
        const uint l = 16 * part + 4 * i;
        const uint ql = (ld32(b + 64 * h + 32 * (r & 1) + l) >> (4 * (r >> 1))) & kLowNibbles;
        const uint qh = ((ld32(b + 128 + 32 * h + l) >> (2 * r)) & 0x03030303u) << 4;
        w[i] = minusBytes(ql | qh, 32);
    }
    const int sc = int(ld16(b + 192 + 2 * j) << (24 - 8 * part)) >> 24;
    scale = vec2(ldHalf(b + 208) * float(sc), 0.0);
#else
#error "matvec_dot.comp: no integer form of this weight type"
#endif
}

const uint SUMS = ROWS * MROWS; // partial dot products per invocation, index r * MROWS + m
shared float sPartial[SUMS * WORKGROUP_SIZE];

void main()
{
    const uint t = gl_LocalInvocationID.x;
    const uint n0 = (gl_WorkGroupID.y * gl_NumWorkGroups.x + gl_WorkGroupID.x) * ROWS;
    if (n0 >= p.N)
        return; // whole workgroup

    float acc[SUMS];
    for (uint i = 0; i < SUMS; ++i)
        acc[i] = 0.0;

    // Rows past N repeat the last one (reads stay in bounds); their sums are dropped at the end.
    // Lanes take 16-value halves of units: consecutive lanes read consecutive 16 bytes of a and the
    // words of one block.
    const uint halves = p.K / 16, units = p.K / 32;
    uint bRow[ROWS];
    for (uint r = 0; r < ROWS; ++r)
        bRow[r] = p.bOffset + min(n0 + r, p.N - 1) * (p.K / BLOCK_K) * BLOCK_BYTES;
    for (uint v = t; v < halves; v += WORKGROUP_SIZE) {
        const uint u = v >> 1, part = v & 1;
        uint w[ROWS * 4];
        vec2 scale[ROWS];
        for (uint r = 0; r < ROWS; ++r) {
            uint wr[4];
            halfWeights(bRow[r] + (u / UNITS) * BLOCK_BYTES, u % UNITS, part, wr, scale[r]);
            for (uint i = 0; i < 4; ++i)
                w[r * 4 + i] = wr[i];
        }
        for (uint m = 0; m < MROWS; ++m) {
            const uint block = m * units + u;
            const uvec4 q = aq[p.qOffset + 2 * block + part];
            const vec2 ds = ads[p.dsOffset + block];
            for (uint r = 0; r < ROWS; ++r) {
                const int dot = dot4(w[r * 4], q.x) + dot4(w[r * 4 + 1], q.y) + dot4(w[r * 4 + 2], q.z) +
                                dot4(w[r * 4 + 3], q.w);
                acc[r * MROWS + m] += ds.x * scale[r].x * float(dot) + scale[r].y * ds.y;
            }
        }
    }

#ifdef SUBGROUP_REDUCE
    for (uint i = 0; i < SUMS; ++i)
        acc[i] = subgroupAdd(acc[i]);
    if (subgroupElect()) {
        for (uint i = 0; i < SUMS; ++i)
            sPartial[i * WORKGROUP_SIZE + gl_SubgroupID] = acc[i];
    }
    barrier();
    const uint parts = gl_NumSubgroups;
#else
    for (uint i = 0; i < SUMS; ++i)
        sPartial[i * WORKGROUP_SIZE + t] = acc[i];
    barrier();
    for (uint s = WORKGROUP_SIZE / 2; s > 0; s >>= 1) {
        if (t < s) {
            for (uint i = 0; i < SUMS; ++i)
                sPartial[i * WORKGROUP_SIZE + t] += sPartial[i * WORKGROUP_SIZE + t + s];
        }
        barrier();
    }
    const uint parts = 1;
#endif
    if (t < SUMS) {
        float sum = 0.0;
        for (uint s = 0; s < parts; ++s)
            sum += sPartial[t * WORKGROUP_SIZE + s];
        const uint n = n0 + t / MROWS;
        const uint m = t % MROWS;
        if (n < p.N)
            outv[p.outOffset + m * p.outStride + n] = sum;
    }
}
