// Merges the split partials of attention.comp: out = sum_z e^(m_z - m) o_z / sum_z e^(m_z - m) l_z
// with m the largest m_z. One workgroup per query row; included by attention.comp under COMBINE.

layout(constant_id = 1) const uint HEAD_DIM = 128;

layout(push_constant) uniform Push { AttentionCombinePush p; };

layout(std430, binding = 0) readonly buffer Partials { float partials[]; };
layout(std430, binding = 1) writeonly buffer Out { float outv[]; };

void main()
{
    const uint row = gl_WorkGroupID.y * gl_NumWorkGroups.x + gl_WorkGroupID.x;
    if (row >= p.rows)
        return;
    const uint stride = p.rows * (HEAD_DIM + 4); // between splits
    float m = -3.402823466e38;
    for (uint z = 0; z < p.splits; ++z)
        m = max(m, partials[z * stride + row * (HEAD_DIM + 4) + HEAD_DIM]);
    float l = 0.0;
    for (uint z = 0; z < p.splits; ++z) {
        const uint base = z * stride + row * (HEAD_DIM + 4);
        l += exp(partials[base + HEAD_DIM] - m) * partials[base + HEAD_DIM + 1];
    }
    const float inv = 1.0 / l;
    for (uint d = gl_LocalInvocationID.x; d < HEAD_DIM; d += WORKGROUP_SIZE) {
        float o = 0.0;
        for (uint z = 0; z < p.splits; ++z) {
            const uint base = z * stride + row * (HEAD_DIM + 4);
            o += exp(partials[base + HEAD_DIM] - m) * partials[base + d];
        }
        outv[p.outOffset + row * HEAD_DIM + d] = o * inv;
    }
}
