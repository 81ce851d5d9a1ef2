#pragma once
// The tensors of a Stable Diffusion checkpoint under canonical names: views into the mapped
// safetensors files of whichever layout the checkpoint came in (see checkpoint_names.h).

#include "core/result.h"
#include "io/safetensors.h"

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace atelier::diffusion {

// Canonical name prefixes: the names of an SD 1.x single-file (CompVis) checkpoint.
inline constexpr std::string_view kUNetPrefix = "model.diffusion_model.";
inline constexpr std::string_view kVaePrefix = "first_stage_model.";
inline constexpr std::string_view kTextPrefix = "cond_stage_model.transformer.text_model.";

struct CheckpointTensor {
    std::string name;                 // canonical
    io::SafetensorsDType dtype = io::SafetensorsDType::F32;
    std::vector<int64_t> shape;       // canonical shape, outermost first
    std::span<const uint8_t> data;    // inside the mapped file; a row block of it for split tensors
    std::string source;               // "<file>: '<name in the file>'", for messages
};

// Canonical tensors sorted by name; names are unique.
class TensorTable {
public:
    // Adds a tensor; `finish` sorts and refuses duplicates (two sources for one canonical name).
    void add(CheckpointTensor tensor) { mTensors.push_back(std::move(tensor)); }
    Status finish();

    std::span<const CheckpointTensor> all() const { return mTensors; }
    const CheckpointTensor* find(std::string_view name) const;
    // The shape of `name`, or nullptr when absent.
    const std::vector<int64_t>* shape(std::string_view name) const;
    // Tensors whose names start with `prefix` (a contiguous run of the sorted table).
    std::span<const CheckpointTensor> withPrefix(std::string_view prefix) const;
    bool hasPrefix(std::string_view prefix) const { return !withPrefix(prefix).empty(); }
    // Drops every tensor whose name starts with `prefix`.
    void removePrefix(std::string_view prefix);
    // Moves every tensor of `other` in (the caller then calls finish).
    void merge(TensorTable&& other);

private:
    std::vector<CheckpointTensor> mTensors;
};

} // namespace atelier::diffusion
