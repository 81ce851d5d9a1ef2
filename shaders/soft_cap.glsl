// Attention's score helpers shared by attention.comp, attention_rows.comp and attention_decode.comp.
#ifndef ATELIER_SOFT_CAP_GLSL
#define ATELIER_SOFT_CAP_GLSL

// cap * tanh(s / cap) (Gemma 2's soft cap), s itself where cap is 0; tanh without overflow.
float softCap(float s, float cap)
{
    if (cap == 0.0)
        return s;
    const float x = s / cap;
    const float e = exp(-2.0 * abs(x));
    return cap * sign(x) * (1.0 - e) / (1.0 + e);
}

// Four halves from two words, as the f16 k and v caches' texels hold them.
vec4 halves4(uvec2 h) { return vec4(unpackHalf2x16(h.x), unpackHalf2x16(h.y)); }

#endif
