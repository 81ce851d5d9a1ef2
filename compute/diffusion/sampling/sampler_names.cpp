#include "diffusion/sampling/sampler_names.h"

#include <array>
#include <cctype>

namespace atelier::diffusion {
namespace {

struct SamplerName {
    SamplerKind kind;
    const char* name;
    std::array<const char*, 2> aliases; // A1111's aliases (sd_samplers_kdiffusion.py), nullptr-padded
};

constexpr std::array<SamplerName, 6> kSamplers{{
    {SamplerKind::Euler, "Euler", {"k_euler", nullptr}},
    {SamplerKind::EulerAncestral, "Euler a", {"k_euler_a", "k_euler_ancestral"}},
    {SamplerKind::Heun, "Heun", {"k_heun", nullptr}},
    {SamplerKind::DpmPp2M, "DPM++ 2M", {"k_dpmpp_2m", nullptr}},
    {SamplerKind::Ddim, "DDIM", {"ddim", nullptr}},
    {SamplerKind::Lcm, "LCM", {"k_lcm", "lcm"}},
}};

struct ScheduleName {
    ScheduleKind kind;
    const char* label; // what A1111 writes
    const char* name;  // A1111's internal name, also accepted
};

constexpr std::array<ScheduleName, 6> kSchedules{{
    {ScheduleKind::Automatic, "Automatic", "automatic"},
    {ScheduleKind::Uniform, "Uniform", "uniform"},
    {ScheduleKind::Karras, "Karras", "karras"},
    {ScheduleKind::Leading, "Leading", "leading"},
    {ScheduleKind::Trailing, "Trailing", "trailing"},
    {ScheduleKind::Lcm, "LCM", "lcm"},
}};

std::string_view trimmed(std::string_view s)
{
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front())))
        s.remove_prefix(1);
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back())))
        s.remove_suffix(1);
    return s;
}

const SamplerName* findSampler(std::string_view name)
{
    for (const SamplerName& s : kSamplers) {
        if (name == s.name)
            return &s;
        for (const char* alias : s.aliases) {
            if (alias && name == alias)
                return &s;
        }
    }
    return nullptr;
}

const ScheduleName* findSchedule(std::string_view name)
{
    for (const ScheduleName& s : kSchedules) {
        if (name == s.label || name == s.name)
            return &s;
    }
    return nullptr;
}

} // namespace

const char* a1111SamplerName(SamplerKind sampler)
{
    for (const SamplerName& s : kSamplers) {
        if (s.kind == sampler)
            return s.name;
    }
    return "Euler a";
}

const char* a1111ScheduleName(ScheduleKind schedule)
{
    for (const ScheduleName& s : kSchedules) {
        if (s.kind == schedule)
            return s.label;
    }
    return "Automatic";
}

Result<SamplerChoice> parseA1111Sampler(std::string_view sampler, std::string_view scheduleType)
{
    std::string_view name = trimmed(sampler);
    scheduleType = trimmed(scheduleType);

    const ScheduleName* schedule = &kSchedules[0];
    if (!scheduleType.empty()) {
        schedule = findSchedule(scheduleType);
        if (!schedule)
            return makeError(ErrorCode::Unsupported, "unsupported schedule type '" + std::string(scheduleType) + "'");
    }
    // A combined name ("DPM++ 2M Karras"): the suffix is the schedule. Whole names are tried first so
    // that "LCM" stays a sampler.
    for (const ScheduleName& s : kSchedules) {
        if (findSampler(name))
            break;
        for (std::string_view option : {std::string_view(s.label), std::string_view(s.name)}) {
            if (name.size() > option.size() + 1 && name.ends_with(option) &&
                name[name.size() - option.size() - 1] == ' ') {
                schedule = &s;
                name = trimmed(name.substr(0, name.size() - option.size() - 1));
                break;
            }
        }
    }
    const SamplerName* found = findSampler(name);
    if (!found)
        return makeError(ErrorCode::Unsupported, "unsupported sampler '" + std::string(sampler) + "'");

    SamplerChoice choice{found->kind, schedule->kind};
    if (choice.schedule == defaultSchedule(choice.sampler))
        choice.schedule = ScheduleKind::Automatic;
    return choice;
}

A1111SamplerFields formatA1111Sampler(const SamplerChoice& choice, A1111Style style)
{
    A1111SamplerFields fields;
    fields.sampler = a1111SamplerName(choice.sampler);
    // A1111 writes what Automatic resolved to, except the model's own discretisation (k-samplers) and
    // the timestep samplers' own timesteps (DDIM, LCM), which need no field.
    const ScheduleKind resolved = resolveSchedule(choice.sampler, choice.schedule);
    const bool modelsOwn = choice.schedule == ScheduleKind::Automatic && resolved != ScheduleKind::Karras;
    if (modelsOwn)
        return fields;
    if (style == A1111Style::Separate) {
        fields.scheduleType = a1111ScheduleName(resolved);
    } else if (resolved == ScheduleKind::Karras || resolved != defaultSchedule(choice.sampler)) {
        // Karras always (the older readers' "DPM++ 2M" was Uniform); anything else unless a 1.9+
        // reader would assume it anyway.
        fields.sampler += ' ';
        fields.sampler += a1111ScheduleName(resolved);
    }
    return fields;
}

} // namespace atelier::diffusion
