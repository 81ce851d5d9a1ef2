// The GELU family of activations, shared by gelu.comp and the rows matmul's epilogue
// (matvec_rows.comp with EPILOGUE) so that a fused activation computes exactly what the separate
// pass does. fp32 arithmetic.
#ifndef ATELIER_GELU_GLSL
#define ATELIER_GELU_GLSL

// erfc(z) for z >= 0 within a relative 1.2e-7 (Numerical Recipes' erfcc); GLSL has no erf.
float erfcPositive(float z)
{
    const float t = 1.0 / (1.0 + 0.5 * z);
    return t * exp(-z * z - 1.26551223 +
                   t * (1.00002368 +
                        t * (0.37409196 +
                             t * (0.09678418 +
                                  t * (-0.18628806 +
                                       t * (0.27886807 +
                                            t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
}

// 0.5 v (1 + erf(v / sqrt 2)) through erfc, so that negative v (1 + erf = erfc) keep their precision.
float geluErf(float v)
{
    const float e = erfcPositive(abs(v) * 0.7071067811865476);
    return v >= 0.0 ? v * (1.0 - 0.5 * e) : 0.5 * v * e;
}

// 0.5 v (1 + tanh(u)) = v / (1 + e^(-2u)); e^(-2u) overflows to inf for very negative v, giving -0.
float geluTanh(float v)
{
    const float u = 0.7978845608028654 * (v + 0.044715 * v * v * v);
    return v / (1.0 + exp(-2.0 * u));
}

// CLIP's quick GELU, v sigmoid(1.702 v): e^(-1.702 v) overflows to inf for very negative v, giving
// -0 as torch does.
float geluQuick(float v) { return v / (1.0 + exp(-1.702 * v)); }

#endif
