#include "diffusion/sampling/sampler_kind.h"

namespace atelier::diffusion {

ScheduleKind defaultSchedule(SamplerKind sampler)
{
    switch (sampler) {
    case SamplerKind::DpmPp2M:
        return ScheduleKind::Karras;
    case SamplerKind::Ddim:
        return ScheduleKind::Leading;
    case SamplerKind::Lcm:
        return ScheduleKind::Lcm;
    case SamplerKind::Euler:
    case SamplerKind::EulerAncestral:
    case SamplerKind::Heun:
        break;
    }
    return ScheduleKind::Uniform;
}

ScheduleKind resolveSchedule(SamplerKind sampler, ScheduleKind schedule)
{
    return schedule == ScheduleKind::Automatic ? defaultSchedule(sampler) : schedule;
}

} // namespace atelier::diffusion
