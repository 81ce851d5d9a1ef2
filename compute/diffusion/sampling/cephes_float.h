#pragma once
// Scalar float32 replicas of avx_mathfun.h's log256_ps and sincos256_ps (Julien Pommier's SSE/AVX
// port of the Cephes single-precision routines) as PyTorch compiles them into its AVX2 normal
// kernel. Every operation is one IEEE float operation in the same order as the vector code, so the
// result is the same bit pattern, not merely close. Valid for the inputs torch feeds them: log on
// (0, 1], sincos on [0, 2*pi).

namespace atelier::diffusion::cephes {

float log(float x);
void sincos(float x, float* sine, float* cosine);

} // namespace atelier::diffusion::cephes
