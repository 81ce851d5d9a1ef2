// RoPE's pairs and its angle reduced to [-pi, pi] exactly before cos and sin, shared by rope.comp
// and attention_inputs.comp. NEOX: pairs (j, j + nRot / 2), otherwise (2j, 2j + 1).
#ifndef ATELIER_ROPE_GLSL
#define ATELIER_ROPE_GLSL

// 2^64 / (2 pi) in two words, and 2 pi / 2^32.
const uint INV_TWO_PI_HI = 0x28be60dbu;
const uint INV_TWO_PI_LO = 0x9391054au;
const float TWO_PI_OVER_2_32 = 1.4629180792671596811e-9;

// theta mod 2 pi in [-pi, pi], from theta / (2 pi) in fixed point: theta's 24-bit significand
// times 64 bits of 1 / (2 pi) (Payne-Hanek). fma-based reductions lose ~1e-3 rad at 1e5 rad where a
// driver does not fuse (lavapipe).
float reduceAngle(float theta)
{
    const float a = abs(theta);
    if (a <= 3.14159)
        return theta;
    int e;
    const uint m = uint(frexp(a, e) * 16777216.0); // a = m * 2^(e - 24)
    uint hi1, lo1, hi0, lo0, carry;
    umulExtended(m, INV_TWO_PI_HI, hi1, lo1);
    umulExtended(m, INV_TWO_PI_LO, hi0, lo0);
    const uint x0 = lo0, x1 = uaddCarry(hi0, lo1, carry), x2 = hi1 + carry; // m * 2^64 / (2 pi)
    // a / (2 pi) = x * 2^(e - 88): the fraction's leading 32 bits start at bit 56 - e of x.
    const int s = 56 - e;
    uint w;
    if (s >= 32)
        w = s == 32 ? x1 : (x1 >> (s - 32)) | (x2 << (64 - s));
    else if (s > 0)
        w = (x0 >> s) | (x1 << (32 - s));
    else
        w = x0 << min(-s, 31); // |theta| >= 2^56: nothing meaningful is left
    const float r = float(int(w)) * TWO_PI_OVER_2_32;
    return theta < 0.0 ? -r : r;
}

// The two elements of pair j of a row; past nRot, the pairs that are copied.
uvec2 ropePair(uint j, uint nRot)
{
    const uint rotPairs = nRot / 2;
    if (j >= rotPairs)
        return uvec2(nRot + 2 * (j - rotPairs)) + uvec2(0, 1);
#ifdef NEOX
    return uvec2(j, j + rotPairs);
#else
    return uvec2(2 * j, 2 * j + 1);
#endif
}

#endif
