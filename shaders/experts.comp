#version 450
// A mixture of experts' routing and the weighted sum of what the chosen experts return
// (push_constants.h, ExpertsPush). One invocation per token (ROUTE) or per output value (COMBINE):
// a token's routing is a few hundred operations, far below a dispatch's cost either way.
// Routes are [tokens, used, 2] floats: the expert's index (exact below 2^24) and its weight.
#extension GL_GOOGLE_include_directive : require

#include "common.glsl"
#include "push_constants.h"

layout(push_constant) uniform Push { ExpertsPush p; };
layout(std430, binding = 0) readonly buffer In { float inv[]; };
layout(std430, binding = 1) buffer Routes { float routes[]; };
#ifdef COMBINE
layout(std430, binding = 2) writeonly buffer Out { float outv[]; };
#endif

const uint kMaxUsed = 32; // experts.cpp checks used against it

void main()
{
    const uint i = flatInvocation();
#ifdef ROUTE
    if (i >= p.tokens)
        return;
    const uint row = p.inOffset + i * p.experts;
    float top = uintBitsToFloat(0xff800000u); // -infinity
    for (uint e = 0; e < p.experts; ++e)
        top = max(top, inv[row + e]);
    float sum = 0.0;
    for (uint e = 0; e < p.experts; ++e)
        sum += exp(inv[row + e] - top);
    // The largest first; among equal logits the lower index, as a stable sort would.
    uint chosen[kMaxUsed];
    float weights[kMaxUsed];
    float total = 0.0;
    for (uint s = 0; s < p.used; ++s) {
        uint best = 0;
        float bestLogit = top;
        bool found = false;
        for (uint e = 0; e < p.experts; ++e) {
            bool taken = false;
            for (uint t = 0; t < s; ++t)
                taken = taken || chosen[t] == e;
            const float l = inv[row + e];
            if (!taken && (!found || l > bestLogit)) {
                best = e;
                bestLogit = l;
                found = true;
            }
        }
        chosen[s] = best;
        weights[s] = exp(bestLogit - top) / sum;
        total += weights[s];
    }
    // llama.cpp clamps the sum at f16's smallest normal number before dividing.
    const float divisor = p.normalize != 0 ? max(total, 6.103515625e-5) : 1.0;
    for (uint s = 0; s < p.used; ++s) {
        routes[p.outOffset + (i * p.used + s) * 2] = float(chosen[s]);
        routes[p.outOffset + (i * p.used + s) * 2 + 1] = weights[s] / divisor * p.scale;
    }
#else
    if (i >= p.tokens * p.n)
        return;
    const uint t = i / p.n, c = i % p.n;
    float acc = 0.0;
    for (uint s = 0; s < p.used; ++s)
        acc += routes[p.routeOffset + (t * p.used + s) * 2 + 1] * inv[p.inOffset + (t * p.used + s) * p.n + c];
    outv[p.outOffset + i] = acc;
#endif
}
