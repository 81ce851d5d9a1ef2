// Running mean and sum of squared deviations (Welford), and the exact merge of two such
// statistics (Chan et al.): one pass over the values, without the cancellation of E[x^2] - E[x]^2.
// Shared by group_norm.comp and group_norm_rows.comp.
#ifndef ATELIER_WELFORD_GLSL
#define ATELIER_WELFORD_GLSL

struct Moments {
    float count;
    float mean;
    float m2; // sum of squared deviations from the mean
};

Moments noMoments() { return Moments(0.0, 0.0, 0.0); }

void addValue(inout Moments s, float v)
{
    s.count += 1.0;
    const float d = v - s.mean;
    s.mean += d / s.count;
    s.m2 += d * (v - s.mean);
}

void mergeMoments(inout Moments s, float count, float mean, float m2)
{
    const float merged = s.count + count, delta = mean - s.mean;
    s.mean += delta * count / merged;
    s.m2 += m2 + delta * delta * s.count * count / merged;
    s.count = merged;
}

#endif
