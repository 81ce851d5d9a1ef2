#pragma once
// Sampler and schedule names as AUTOMATIC1111 writes them in its `parameters` text
// (/work/shared/FORMATS.md): "Sampler: DPM++ 2M, Schedule type: Karras" (1.9 and later) or the older
// combined "Sampler: DPM++ 2M Karras", which Fooocus and many galleries still write. Both are read.

#include "core/result.h"
#include "diffusion/sampling/sampler_kind.h"

#include <string>
#include <string_view>

namespace atelier::diffusion {

struct SamplerChoice {
    SamplerKind sampler = SamplerKind::EulerAncestral;
    ScheduleKind schedule = ScheduleKind::Automatic;

    bool operator==(const SamplerChoice&) const = default;
};

// "Euler", "Euler a", "Heun", "DPM++ 2M", "DDIM", "LCM".
const char* a1111SamplerName(SamplerKind sampler);
// "Automatic", "Uniform", "Karras"; Atelier's own "Leading", "Trailing", "LCM" for the diffusers
// spacings A1111 does not have.
const char* a1111ScheduleName(ScheduleKind schedule);

// Reads the Sampler field and the Schedule type field (empty when absent). A schedule written as a
// suffix of the sampler ("DPM++ 2M Karras") wins over the field, and a schedule that is the sampler's
// default reads back as Automatic, as A1111's get_sampler_and_scheduler does. Sampler aliases
// A1111 accepts ("k_euler_a", "k_dpmpp_2m", ...) are read too. Unknown names fail with Unsupported.
Result<SamplerChoice> parseA1111Sampler(std::string_view sampler, std::string_view scheduleType = {});

struct A1111SamplerFields {
    std::string sampler;      // the Sampler value
    std::string scheduleType; // the Schedule type value; empty: leave the field out
};

enum class A1111Style {
    Separate, // 1.9+: "DPM++ 2M" + "Schedule type: Karras"; no field when the schedule is the model's own
    Combined, // before 1.9: "DPM++ 2M Karras"; no suffix for a sampler's default, except Karras
};

// What A1111 would write for this choice (Automatic written as what it resolves to, as A1111 does).
A1111SamplerFields formatA1111Sampler(const SamplerChoice& choice, A1111Style style = A1111Style::Separate);

} // namespace atelier::diffusion
