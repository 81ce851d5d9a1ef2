// The gated-linear-unit activations (glu.comp, matvec_rows.comp with GLU): SiLU (SwiGLU: Llama,
// Qwen2) and the tanh approximation of GELU (GeGLU: Gemma 3's gelu_pytorch_tanh).
#ifndef ATELIER_ACTIVATION_GLSL
#define ATELIER_ACTIVATION_GLSL

const uint kActivationSilu = 0;
const uint kActivationGeluTanh = 1;

float activation(float x, uint kind)
{
    if (kind == kActivationSilu)
        return x / (1.0 + exp(-x));
    // 0.5 x (1 + tanh(u)) = x / (1 + e^(-2u)); e^(-2u) overflows to inf for very negative x, giving -0.
    const float u = 0.7978845608028654 * (x + 0.044715 * x * x * x);
    return x / (1.0 + exp(-2.0 * u));
}

#endif
