// Weight decoders shared by the matmul, matvec and get_rows shaders. Define WEIGHTS_BINDING and one
// TYPE_<type> before including; the weights are bound read-only at WEIGHTS_BINDING.
//
// Plain types (WEIGHTS_PLAIN: f32, f16, bf16): weight(i) and weight4(i) read element i and vec4 i.
// Block types (WEIGHTS_BLOCKS: ggml's layouts, ggml-common.h): a row of K values is K / BLOCK_K
// blocks of BLOCK_BYTES bytes, and offsets into the binding are in bytes.
//   dequant4(block, e): values e..e+3 of the block starting at byte `block` (e a multiple of 4).
//   dequantGroup(block, g, v): the 16 values of group g (0 .. BLOCK_K / 16 - 1), four runs of 4
//     that share their quant bytes, so each byte is loaded once; run r starts at groupRun(g, r).
// Each type's arithmetic is one function of the loaded words (q4_0Run, ...) that both use.
//   dequantGroupAffine(block, g, q, so) (GROUP_AFFINE: the 32-value types): group g's 16 values as
//     so.x * q + so.y, one scale and offset for the group, so that a dot product with the group
//     can take sums of q * a and apply so once; GROUP_OFFSET is false where so.y is always 0.
//     Their dequantGroup is that product, applied.
//
// Loads: blocks of q4_0 (18 bytes), q5_0 (22), q8_0 (34) and q6_k (210) are only 2-byte aligned,
// so a 32-bit load would be misaligned in every other block: they read 16-bit words
// (storageBuffer16BitAccess, which every tensor needs anyway) and pair them. The others read the
// widest words their alignment allows: 32-bit for q4_1 (20), 64-bit for q5_1 (24), 128-bit for
// q4_k (144) and q5_k (176). Every row starts at a multiple of the block size from an aligned
// binding offset, so this holds on every device. No type needs 8-bit storage.
#ifndef ATELIER_DEQUANT_GLSL
#define ATELIER_DEQUANT_GLSL

#extension GL_EXT_shader_16bit_storage : require

#if defined(TYPE_F32) || defined(TYPE_F16) || defined(TYPE_BF16)
#define WEIGHTS_PLAIN

#ifdef WEIGHTS_REGISTERS
// unpackTexel(x, v): the TEXEL_VEC4S vec4s of values in one 16-byte texel of weights.
#if defined(TYPE_F32)
#define TEXEL_VEC4S 1
void unpackTexel(uvec4 x, out vec4 v[TEXEL_VEC4S]) { v[0] = uintBitsToFloat(x); }
#elif defined(TYPE_F16)
#define TEXEL_VEC4S 2
void unpackTexel(uvec4 x, out vec4 v[TEXEL_VEC4S])
{
    v[0] = vec4(unpackHalf2x16(x.x), unpackHalf2x16(x.y));
    v[1] = vec4(unpackHalf2x16(x.z), unpackHalf2x16(x.w));
}
#else
#define TEXEL_VEC4S 2
void unpackTexel(uvec4 x, out vec4 v[TEXEL_VEC4S])
{
    v[0] = uintBitsToFloat(uvec4(x.x << 16, x.x & 0xFFFF0000u, x.y << 16, x.y & 0xFFFF0000u));
    v[1] = uintBitsToFloat(uvec4(x.z << 16, x.z & 0xFFFF0000u, x.w << 16, x.w & 0xFFFF0000u));
}
#endif
#else
#if defined(TYPE_F32)
layout(std430, binding = WEIGHTS_BINDING) readonly buffer WeightsP { float wp[]; };
layout(std430, binding = WEIGHTS_BINDING) readonly buffer WeightsP4 { vec4 wp4[]; };
float weight(uint i) { return wp[i]; }
vec4 weight4(uint i) { return wp4[i]; }
#elif defined(TYPE_F16)
layout(std430, binding = WEIGHTS_BINDING) readonly buffer WeightsP { float16_t wp[]; };
layout(std430, binding = WEIGHTS_BINDING) readonly buffer WeightsP4 { f16vec4 wp4[]; };
float weight(uint i) { return float(wp[i]); }
vec4 weight4(uint i) { return vec4(wp4[i]); }
#else // bf16: the top half of an f32
layout(std430, binding = WEIGHTS_BINDING) readonly buffer WeightsP { uint16_t wp[]; };
layout(std430, binding = WEIGHTS_BINDING) readonly buffer WeightsP4 { u16vec4 wp4[]; };
float weight(uint i) { return uintBitsToFloat(uint(wp[i]) << 16); }
vec4 weight4(uint i) { return uintBitsToFloat(uvec4(wp4[i]) << 16); }
#endif

#endif // WEIGHTS_REGISTERS

#else
#define WEIGHTS_BLOCKS

#ifdef WEIGHTS_REGISTERS
// The caller has copied one block into blockWords (word 0 = the block's first 4 bytes); every
// offset the decoders pass is a constant once their loops unroll, so these fold to register moves.
const uint kMaxBlockWords = 54; // q6_k: 210 bytes
uint blockWords[kMaxBlockWords];
uint ld32(uint byte)
{
    const uint w = byte >> 2;
    return (byte & 2) == 0 ? blockWords[w] : (blockWords[w] >> 16) | (blockWords[min(w + 1, kMaxBlockWords - 1)] << 16);
}
uint ld16(uint byte) { return (blockWords[byte >> 2] >> ((byte & 2) * 8)) & 0xFFFFu; }
float ldHalf(uint byte) { return unpackHalf2x16(ld16(byte)).x; }
uvec2 ld64(uint byte) { return uvec2(ld32(byte), ld32(byte + 4)); }
uvec4 ld128(uint byte) { return uvec4(ld64(byte), ld64(byte + 8)); }
#else
#if defined(TYPE_Q4_1) || defined(TYPE_Q5_1) || defined(TYPE_Q4_K) || defined(TYPE_Q5_K) || \
    defined(TYPE_Q4_CPU) || defined(TYPE_Q8_CPU)
layout(std430, binding = WEIGHTS_BINDING) readonly buffer WeightsQ32 { uint wq32[]; };
uint ld32(uint byte) { return wq32[byte >> 2]; }
#else
layout(std430, binding = WEIGHTS_BINDING) readonly buffer WeightsQ16 { uint16_t wq16[]; };
uint ld16(uint byte) { return uint(wq16[byte >> 1]); }
uint ld32(uint byte) { return ld16(byte) | (ld16(byte + 2) << 16); }
float ldHalf(uint byte) { return unpackHalf2x16(ld16(byte)).x; }
#endif

#if defined(TYPE_Q5_1) || defined(TYPE_Q4_K) || defined(TYPE_Q5_K)
layout(std430, binding = WEIGHTS_BINDING) readonly buffer WeightsQ64 { uvec2 wq64[]; };
uvec2 ld64(uint byte) { return wq64[byte >> 3]; }
#endif
#if defined(TYPE_Q4_K) || defined(TYPE_Q5_K)
layout(std430, binding = WEIGHTS_BINDING) readonly buffer WeightsQ128 { uvec4 wq128[]; };
uvec4 ld128(uint byte) { return wq128[byte >> 4]; }
#endif
#endif // WEIGHTS_REGISTERS

const uvec4 kByteShifts = uvec4(0, 8, 16, 24);

// The four nibbles at bit `shift` (0 or 4) of the four bytes of w.
uvec4 nibbles(uint w, uint shift) { return (uvec4(w) >> (kByteShifts + shift)) & 0xFu; }

#if defined(TYPE_Q4_0) || defined(TYPE_Q4_1) || defined(TYPE_Q5_0) || defined(TYPE_Q5_1) || defined(TYPE_Q8_0) || \
    defined(TYPE_Q4_CPU) || defined(TYPE_Q8_CPU)
#define BLOCK_K 32
#endif

#if defined(TYPE_Q4_0) || defined(TYPE_Q4_1) || defined(TYPE_Q5_0) || defined(TYPE_Q5_1) || defined(TYPE_Q4_CPU)
// 32 values: byte j of qs holds value j (low nibble) and value j + 16 (high nibble); a group is
// 8 bytes of qs, run r using word r & 1 (high nibbles for r >= 2).
uint groupRun(uint g, uint r) { return 8 * g + 4 * (r & 1) + 16 * (r >> 1); }
uint qsShift(uint e) { return (e >> 2) & 4u; }
#define GROUP_AFFINE
// Bit e of the 32-bit qh word is the fifth bit of value e.
uvec4 fifthBits(uint qh, uint e) { return ((uvec4(qh) >> (uvec4(0, 1, 2, 3) + e)) & 1u) << 4; }
// Q5_0 and Q5_1: the 5-bit quants of values e..e+3 from their qs word and the block's qh.
uvec4 q5Quants(uint qh, uint qs, uint e) { return nibbles(qs, qsShift(e)) | fifthBits(qh, e); }
// Q4_1 and Q4_CPU: scale and offset per block; group g of the nibbles that start at byte qs.
vec4 q4_1Run(vec2 dm, uint qs, uint e) { return dm.x * vec4(nibbles(qs, qsShift(e))) + dm.y; }
void q4_1GroupAffine(vec2 dm, uint qs, uint g, out vec4 q[4], out vec2 so)
{
    const uint w[2] = {ld32(qs + 8 * g), ld32(qs + 4 + 8 * g)};
    for (uint r = 0; r < 4; ++r)
        q[r] = vec4(nibbles(w[r & 1], qsShift(groupRun(g, r))));
    so = dm;
}
#endif

// Q8_0 and Q8_CPU: four signed bytes times a scale.
vec4 q8Bytes(uint qs) { return vec4(ivec4(uvec4(qs) << uvec4(24, 16, 8, 0)) >> 24); }
vec4 q8_0Run(float d, uint qs) { return d * q8Bytes(qs); }

#if defined(TYPE_Q4_0)
#define BLOCK_BYTES 18 // f16 d, qs[16]
vec4 q4_0Run(float d, uint qs, uint e) { return d * (vec4(nibbles(qs, qsShift(e))) - 8.0); }
vec4 dequant4(uint b, uint e) { return q4_0Run(ldHalf(b), ld32(b + 2 + (e & 15)), e); }
const bool GROUP_OFFSET = true;
void dequantGroupAffine(uint b, uint g, out vec4 q[4], out vec2 so)
{
    const float d = ldHalf(b);
    const uint qs[2] = {ld32(b + 2 + 8 * g), ld32(b + 6 + 8 * g)};
    for (uint r = 0; r < 4; ++r)
        q[r] = vec4(nibbles(qs[r & 1], qsShift(groupRun(g, r))));
    so = vec2(d, -8.0 * d);
}

#elif defined(TYPE_Q4_1)
#define BLOCK_BYTES 20 // f16 d, f16 m, qs[16]
vec4 dequant4(uint b, uint e) { return q4_1Run(unpackHalf2x16(ld32(b)), ld32(b + 4 + (e & 15)), e); }
const bool GROUP_OFFSET = true;
void dequantGroupAffine(uint b, uint g, out vec4 q[4], out vec2 so) { q4_1GroupAffine(unpackHalf2x16(ld32(b)), b + 4, g, q, so); }

#elif defined(TYPE_Q4_CPU)
// Q4_K repacked for CPU devices (core/cpu_repack.h): Q4_1's layout with f32 d and m.
#define BLOCK_BYTES 24 // f32 d, f32 m, qs[16]
vec2 q4CpuHead(uint b) { return uintBitsToFloat(uvec2(ld32(b), ld32(b + 4))); }
vec4 dequant4(uint b, uint e) { return q4_1Run(q4CpuHead(b), ld32(b + 8 + (e & 15)), e); }
const bool GROUP_OFFSET = true;
void dequantGroupAffine(uint b, uint g, out vec4 q[4], out vec2 so) { q4_1GroupAffine(q4CpuHead(b), b + 8, g, q, so); }

#elif defined(TYPE_Q5_0)
#define BLOCK_BYTES 22 // f16 d, qh[4], qs[16]
vec4 q5_0Run(float d, uint qh, uint qs, uint e)
{
    return d * (vec4(q5Quants(qh, qs, e)) - 16.0);
}
vec4 dequant4(uint b, uint e) { return q5_0Run(ldHalf(b), ld32(b + 2), ld32(b + 6 + (e & 15)), e); }
const bool GROUP_OFFSET = true;
void dequantGroupAffine(uint b, uint g, out vec4 q[4], out vec2 so)
{
    const float d = ldHalf(b);
    const uint qh = ld32(b + 2);
    const uint qs[2] = {ld32(b + 6 + 8 * g), ld32(b + 10 + 8 * g)};
    for (uint r = 0; r < 4; ++r) {
        const uint e = groupRun(g, r);
        q[r] = vec4(q5Quants(qh, qs[r & 1], e));
    }
    so = vec2(d, -16.0 * d);
}

#elif defined(TYPE_Q5_1)
#define BLOCK_BYTES 24 // f16 d, f16 m, qh[4], qs[16]
vec4 q5_1Run(uvec2 head, uint qs, uint e) // head: d and m, qh
{
    const vec2 dm = unpackHalf2x16(head.x);
    return dm.x * vec4(q5Quants(head.y, qs, e)) + dm.y;
}
vec4 dequant4(uint b, uint e) { return q5_1Run(ld64(b), ld32(b + 8 + (e & 15)), e); }
const bool GROUP_OFFSET = true;
void dequantGroupAffine(uint b, uint g, out vec4 q[4], out vec2 so)
{
    const uvec2 head = ld64(b), qs = ld64(b + 8 + 8 * g);
    for (uint r = 0; r < 4; ++r) {
        const uint e = groupRun(g, r);
        q[r] = vec4(q5Quants(head.y, qs[r & 1], e));
    }
    so = unpackHalf2x16(head.x);
}

#elif defined(TYPE_Q8_0)
#define BLOCK_BYTES 34 // f16 d, int8 qs[32]
uint groupRun(uint g, uint r) { return 16 * g + 4 * r; }
vec4 dequant4(uint b, uint e) { return q8_0Run(ldHalf(b), ld32(b + 2 + e)); }
#define GROUP_AFFINE
const bool GROUP_OFFSET = false;
void dequantGroupAffine(uint b, uint g, out vec4 q[4], out vec2 so)
{
    for (uint r = 0; r < 4; ++r)
        q[r] = q8Bytes(ld32(b + 2 + 16 * g + 4 * r));
    so = vec2(ldHalf(b), 0.0);
}

#elif defined(TYPE_Q8_CPU)
// Q6_K repacked for CPU devices (core/cpu_repack.h): int8 values with an f32 scale per 16.
#define BLOCK_BYTES 40 // f32 scale of values 0-15, of 16-31, int8 qs[32]
uint groupRun(uint g, uint r) { return 16 * g + 4 * r; }
vec4 dequant4(uint b, uint e) { return q8_0Run(uintBitsToFloat(ld32(b + 4 * (e >> 4))), ld32(b + 8 + e)); }
#define GROUP_AFFINE
const bool GROUP_OFFSET = false;
void dequantGroupAffine(uint b, uint g, out vec4 q[4], out vec2 so)
{
    for (uint r = 0; r < 4; ++r)
        q[r] = q8Bytes(ld32(b + 8 + 16 * g + 4 * r));
    so = vec2(uintBitsToFloat(ld32(b + 4 * g)), 0.0);
}

#elif defined(TYPE_Q4_K) || defined(TYPE_Q5_K)
// 256 values in 8 sub-blocks of 32, each with a 6-bit scale and min; 64 values per 32 bytes of qs
// (sub-block 2c in the low nibbles, 2c + 1 in the high ones). The 16-byte head holds d and dmin,
// then the 12 packed scale bytes. A group is 8 bytes of qs, run r using word r & 1.
#define BLOCK_K 256
uint groupRun(uint g, uint r) { return 64 * (g >> 2) + 8 * (g & 3) + 4 * (r & 1) + 32 * (r >> 1); }
uint qsOffset(uint e) { return 32 * (e >> 6) + (e & 31); }

// d * scale and dmin * min of sub-block j: j < 4 keeps 6 bits of scale bytes j and j + 4; j >= 4
// joins a nibble of byte j + 4 with the top 2 bits of bytes j - 4 and j.
vec2 subBlockScales(uvec4 head, uint j)
{
    const uint sh = 8 * (j & 3);
    const uint s0 = head.y >> sh, s1 = head.z >> sh, s2 = head.w >> sh;
    const bool low = j < 4;
    const uint sc = low ? s0 & 63u : (s2 & 0xFu) | ((s0 >> 2) & 0x30u);
    const uint mn = low ? s1 & 63u : ((s2 >> 4) & 0xFu) | ((s1 >> 2) & 0x30u);
    return unpackHalf2x16(head.x) * vec2(sc, mn);
}

#if defined(TYPE_Q4_K)
#define BLOCK_BYTES 144 // f16 d, f16 dmin, scales[12], qs[128]
vec4 q4_kRun(uvec4 head, uint qs, uint e)
{
    const vec2 s = subBlockScales(head, e >> 5);
    return s.x * vec4(nibbles(qs, (e >> 3) & 4u)) - s.y;
}
vec4 dequant4(uint b, uint e) { return q4_kRun(ld128(b), ld32(b + 16 + qsOffset(e)), e); }
void dequantGroup(uint b, uint g, out vec4 v[4])
{
    const uvec4 head = ld128(b);
    const uvec2 qs = ld64(b + 16 + qsOffset(groupRun(g, 0)));
    for (uint r = 0; r < 4; ++r)
        v[r] = q4_kRun(head, qs[r & 1], groupRun(g, r));
}
#else
#define BLOCK_BYTES 176 // f16 d, f16 dmin, scales[12], qh[32], qs[128]; bit j of qh[l] tops sub-block j
vec4 q5_kRun(uvec4 head, uint qh, uint qs, uint e)
{
    const vec2 s = subBlockScales(head, e >> 5);
    const uvec4 high = ((uvec4(qh) >> (kByteShifts + (e >> 5))) & 1u) << 4;
    return s.x * vec4(nibbles(qs, (e >> 3) & 4u) | high) - s.y;
}
vec4 dequant4(uint b, uint e) { return q5_kRun(ld128(b), ld32(b + 16 + (e & 31)), ld32(b + 48 + qsOffset(e)), e); }
void dequantGroup(uint b, uint g, out vec4 v[4])
{
    const uvec4 head = ld128(b);
    const uint e0 = groupRun(g, 0);
    const uvec2 qh = ld64(b + 16 + (e0 & 31)), qs = ld64(b + 48 + qsOffset(e0));
    for (uint r = 0; r < 4; ++r)
        v[r] = q5_kRun(head, qh[r & 1], qs[r & 1], groupRun(g, r));
}
#endif

#elif defined(TYPE_Q6_K)
// 256 values, 16 int8 scales (one per 16 values). In each half of 128, value 32r + l takes 4 bits
// from ql[64h + l + 32 (r & 1)] (high nibble when r >= 2) and 2 bits from qh[32h + l] at bit 2r.
// A group is 4 values of l in one half: one word each of ql, ql + 32 and qh.
#define BLOCK_K 256
#define BLOCK_BYTES 210 // ql[128], qh[64], int8 scales[16], f16 d
uint groupRun(uint g, uint r) { return 128 * (g >> 3) + 4 * (g & 7) + 32 * r; }
// scale16: the 16-bit word holding scale e / 16.
vec4 q6_kRun(float d, uint scale16, uint ql, uint qh, uint e)
{
    const uint r = (e >> 5) & 3;
    const int scale = int(scale16 << (24 - 8 * ((e >> 4) & 1))) >> 24;
    const uvec4 q = nibbles(ql, 4 * (r >> 1)) | (((uvec4(qh) >> (kByteShifts + 2 * r)) & 3u) << 4);
    return (d * float(scale)) * (vec4(q) - 32.0);
}
uint q6_kScaleWord(uint b, uint e) { return ld16(b + 192 + ((e >> 4) & ~1u)); }
vec4 dequant4(uint b, uint e)
{
    const uint h = e >> 7, l = e & 31, r = (e >> 5) & 3;
    return q6_kRun(ldHalf(b + 208), q6_kScaleWord(b, e), ld32(b + 64 * h + 32 * (r & 1) + l), ld32(b + 128 + 32 * h + l), e);
}
void dequantGroup(uint b, uint g, out vec4 v[4])
{
    const uint h = g >> 3, l = 4 * (g & 7);
    const float d = ldHalf(b + 208);
    const uint ql[2] = {ld32(b + 64 * h + l), ld32(b + 64 * h + 32 + l)};
    const uint qh = ld32(b + 128 + 32 * h + l);
    for (uint r = 0; r < 4; ++r)
        v[r] = q6_kRun(d, q6_kScaleWord(b, groupRun(g, r)), ql[r & 1], qh, groupRun(g, r));
}

#else
#error "dequant.glsl: no TYPE_<type> defined"
#endif

#ifdef GROUP_AFFINE
void dequantGroup(uint b, uint g, out vec4 v[4])
{
    vec4 q[4];
    vec2 so;
    dequantGroupAffine(b, g, q, so);
    for (uint r = 0; r < 4; ++r)
        v[r] = GROUP_OFFSET ? so.x * q[r] + so.y : so.x * q[r];
}
#endif

#endif // block types

#endif
