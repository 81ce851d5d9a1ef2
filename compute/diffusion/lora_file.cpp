#include "diffusion/lora_file.h"

#include "core/dtype.h"
#include "diffusion/checkpoint_tensors.h"
#include "diffusion/lora_names.h"
#include "io/gguf_describe.h"
#include "io/safetensors.h"

#include <array>
#include <cmath>
#include <cstring>
#include <map>
#include <set>

namespace atelier::diffusion {

namespace {

enum class Part { Down, Up, Alpha };

struct Pieces {
    const io::SafetensorsTensor* down = nullptr;
    const io::SafetensorsTensor* up = nullptr;
    const io::SafetensorsTensor* alpha = nullptr;
};

// The module and the part a key names; false for keys of no LoRA pair.
bool splitKey(std::string_view key, std::string_view& module, Part& part)
{
    static constexpr std::array<std::pair<std::string_view, Part>, 11> kSuffixes{{
        {".lora_down.weight", Part::Down}, {".lora_up.weight", Part::Up}, {".alpha", Part::Alpha},
        {".lora_A.weight", Part::Down}, {".lora_B.weight", Part::Up},
        {".lora_A.default.weight", Part::Down}, {".lora_B.default.weight", Part::Up},
        {".lora_linear_layer.down.weight", Part::Down}, {".lora_linear_layer.up.weight", Part::Up},
        {".lora.down.weight", Part::Down}, {".lora.up.weight", Part::Up},
    }};
    for (const auto& [suffix, p] : kSuffixes)
        if (key.ends_with(suffix) && key.size() > suffix.size()) {
            module = key.substr(0, key.size() - suffix.size());
            part = p;
            return true;
        }
    // old diffusers attention processors: "...processor.to_q_lora.down.weight"
    for (const auto& [suffix, p] : {std::pair{std::string_view("_lora.down.weight"), Part::Down},
                                    std::pair{std::string_view("_lora.up.weight"), Part::Up}})
        if (key.ends_with(suffix) && key.size() > suffix.size()) {
            module = key.substr(0, key.size() - suffix.size() + 5);  // keep "_lora"
            part = p;
            return true;
        }
    return false;
}

std::vector<float> floats(const io::SafetensorsTensor& t)
{
    const size_t n = size_t(t.elements());
    std::vector<float> out(n);
    for (size_t i = 0; i < n; ++i) {
        if (t.dtype == io::SafetensorsDType::F32) {
            std::memcpy(&out[i], t.data.data() + 4 * i, 4);
        } else {
            uint16_t h;
            std::memcpy(&h, t.data.data() + 2 * i, 2);
            out[i] = t.dtype == io::SafetensorsDType::F16 ? halfToFloat(h) : bf16ToFloat(h);
        }
    }
    return out;
}

std::string quoted(const io::SafetensorsTensor& t) { return "'" + io::printable(t.name) + "'"; }

Status checkDType(const io::SafetensorsTensor& t, const std::string& path)
{
    if (!io::computeDType(t.dtype))
        return io::unusableDType(t, path);
    return {};
}

Result<LoraModule> readModule(const Pieces& p, const BoundMatrix& target, const std::string& path)
{
    const std::string where = path + ": ";
    if (!p.down || !p.up)
        return makeError(ErrorCode::Format, where + "'" + io::printable(target.name) + "' has a LoRA " +
                                                (p.down ? "down" : "up") + " matrix without its " +
                                                (p.down ? "up" : "down") + " matrix");
    ATELIER_TRY(checkDType(*p.down, path));
    ATELIER_TRY(checkDType(*p.up, path));
    const std::vector<int64_t>& d = p.down->shape;
    const std::vector<int64_t>& u = p.up->shape;
    const int64_t k = target.kernel;
    const bool downOk = !d.empty() && d[0] >= 1 &&
                        ((d.size() == 2 && k == 1 && d[1] == target.in) ||
                         (d.size() == 4 && d[1] == target.in && d[2] == k && d[3] == k));
    if (!downOk)
        return makeError(ErrorCode::Format,
                         where + quoted(*p.down) + " is " + io::formatShape(d) + ", but the weight it changes (" +
                             io::printable(target.name) + ") needs [rank, " + std::to_string(target.in) +
                             (k == 1 ? "" : ", " + std::to_string(k) + ", " + std::to_string(k)) +
                             "]: is this LoRA for another model?");
    const int64_t rank = d[0];
    const bool upOk = (u.size() == 2 || (u.size() == 4 && u[2] == 1 && u[3] == 1)) && u[0] == target.out && u[1] == rank;
    if (!upOk)
        return makeError(ErrorCode::Format, where + quoted(*p.up) + " is " + io::formatShape(u) + ", expected [" +
                                                std::to_string(target.out) + ", " + std::to_string(rank) +
                                                (u.size() == 4 ? ", 1, 1]" : "]"));
    LoraModule m;
    m.target = &target;
    m.rank = rank;
    m.up = floats(*p.up);
    const std::vector<float> down = floats(*p.down);
    if (k == 1) {
        m.down = down;
    } else {  // [rank, in, k, k] -> [rank, k, k, in], the device's OHWI columns
        m.down.resize(down.size());
        const int64_t in = target.in;
        for (int64_t r = 0; r < rank; ++r)
            for (int64_t c = 0; c < in; ++c)
                for (int64_t y = 0; y < k; ++y)
                    for (int64_t x = 0; x < k; ++x)
                        m.down[size_t(((r * k + y) * k + x) * in + c)] = down[size_t(((r * in + c) * k + y) * k + x)];
    }
    m.alphaScale = 1;
    if (p.alpha) {
        ATELIER_TRY(checkDType(*p.alpha, path));
        if (p.alpha->elements() != 1)
            return makeError(ErrorCode::Format, where + quoted(*p.alpha) + " must hold one number, not " +
                                                    io::formatShape(p.alpha->shape));
        const float alpha = floats(*p.alpha)[0];
        if (!std::isfinite(alpha))
            return makeError(ErrorCode::Format, where + quoted(*p.alpha) + " is not a finite number");
        m.alphaScale = alpha / float(rank);
    }
    for (const std::vector<float>* values : {&m.up, &m.down})
        for (float v : *values)
            if (!std::isfinite(v))
                return makeError(ErrorCode::Format, where + "the LoRA of '" + io::printable(target.name) +
                                                        "' holds a value that is not a finite number");
    return m;
}

} // namespace

Result<LoraFile> readLoraFile(const std::string& path, const LoraTargets& targets)
{
    ATELIER_ASSIGN(std::unique_ptr<io::SafetensorsFile> file, io::SafetensorsFile::open(path));
    LoraFile lora;
    lora.path = path;
    std::map<const BoundMatrix*, Pieces> byTarget;
    const auto skip = [&](std::string_view key) {
        ++lora.skippedKeys;
        if (lora.skippedExamples.size() < 5)
            lora.skippedExamples.push_back(io::printable(key));
    };
    // Modules whose pair is only part of the update (LyCORIS's Tucker LoCon "lora_mid", DoRA's
    // "dora_scale"): merging their pair alone would paint something else, so they are skipped whole.
    std::set<const BoundMatrix*> partial;
    for (const io::SafetensorsTensor& t : file->tensors())
        for (std::string_view suffix : {std::string_view(".lora_mid.weight"), std::string_view(".dora_scale")})
            if (std::string_view(t.name).ends_with(suffix))
                if (const BoundMatrix* target = targets.find(std::string_view(t.name).substr(0, t.name.size() - suffix.size())))
                    partial.insert(target);
    for (const io::SafetensorsTensor& t : file->tensors()) {
        std::string_view module;
        Part part;
        if (!splitKey(t.name, module, part)) {
            skip(t.name);
            continue;
        }
        const BoundMatrix* target = targets.find(module);
        if (!target || partial.count(target)) {
            skip(t.name);
            continue;
        }
        Pieces& pieces = byTarget[target];
        const io::SafetensorsTensor*& slot = part == Part::Down ? pieces.down : part == Part::Up ? pieces.up : pieces.alpha;
        if (slot)
            return makeError(ErrorCode::Format, path + ": " + quoted(*slot) + " and " + quoted(t) +
                                                    " both adapt '" + io::printable(target->name) + "'");
        slot = &t;
    }
    for (const auto& [target, pieces] : byTarget) {
        if (!pieces.down && !pieces.up) {  // an alpha alone
            skip(pieces.alpha->name);
            continue;
        }
        ATELIER_ASSIGN(LoraModule module, readModule(pieces, *target, path));
        (target->name.starts_with(kUNetPrefix) ? lora.unetModules : lora.textModules) += 1;
        lora.modules.push_back(std::move(module));
    }
    if (lora.modules.empty())
        return makeError(ErrorCode::Format, path + " adapts nothing this model has (" +
                                                std::to_string(lora.skippedKeys) + " keys not understood" +
                                                (lora.skippedExamples.empty() ? "" : ", e.g. '" + lora.skippedExamples[0] + "'") +
                                                "): is it a LoRA for another kind of model?");
    return lora;
}

} // namespace atelier::diffusion
