#include "ops/top_logits.h"

#include "ops/grid.h"
#include "push_constants.h"
#include "vk/device.h"

#include <algorithm>
#include <cstring>

namespace atelier::ops {

namespace {

constexpr uint32_t kHeaderBytes = 16;           // count, nans, threshold, unused
constexpr uint32_t kWorkgroup = 256;

// Logits per group for k candidates: about 2k groups (at least 64), so the k-th largest maximum
// is about the 1.4k-th largest logit (few candidates past k) while the threshold pass's groups x
// groups comparisons stay few (lavapipe runs that one workgroup on one thread).
uint32_t groupSizeFor(uint32_t vocab, uint32_t k)
{
    const uint32_t target = std::clamp(2 * k, 64u, 2 * kTopLogitsMaxK);
    return std::max<uint32_t>(1, vocab / target);
}

uint64_t selectedBytes() { return kHeaderBytes + uint64_t(kTopLogitsCapacity) * 8; }

} // namespace

Result<TopLogitsWork> TopLogitsWork::create(vk::Device& device, uint32_t vocab)
{
    if (vocab == 0)
        return makeError(ErrorCode::InvalidArgument, "top logits: an empty vocabulary");
    TopLogitsWork w;
    w.vocab = vocab;
    // The most groups any k makes: groupSizeFor() keeps at least 2k (any k <= kTopLogitsMaxK has a
    // k-th largest maximum) and at most about twice its target.
    const uint32_t smallest = groupSizeFor(vocab, kTopLogitsMaxK);
    ATELIER_ASSIGN(w.maxima, device.allocate(uint64_t((vocab + smallest - 1) / smallest) * 4));
    ATELIER_ASSIGN(w.selected, device.allocate(selectedBytes()));
    if (!w.selected.mapped() || device.stagedTransfers()) {
        ATELIER_ASSIGN(w.readback, device.allocate(selectedBytes(), vk::MemoryKind::Readback));
    }
    return w;
}

Status topLogits(vk::CommandBatch& batch, const Tensor& logits, uint32_t atLeast, TopLogitsWork& work)
{
    vk::Device& device = batch.device();
    if (logits.dtype != DType::F32 || uint64_t(logits.numel()) != work.vocab || logits.dim(-1) != int64_t(work.vocab))
        return makeError(ErrorCode::InvalidArgument, "top logits: expected one f32 row of " + std::to_string(work.vocab) +
                                                         " logits, got " + logits.shapeText());
    if (atLeast < 1 || atLeast > kTopLogitsMaxK)
        return makeError(ErrorCode::InvalidArgument, "top logits: can choose 1 to " + std::to_string(kTopLogitsMaxK) +
                                                         " candidates, not " + std::to_string(atLeast));
    const uint32_t groupSize = groupSizeFor(work.vocab, atLeast);
    const uint32_t groups = (work.vocab + groupSize - 1) / groupSize;
    const shader::TopLogitsPush push{work.vocab, 0, groupSize, groups, std::min(atLeast, groups) - 1, kTopLogitsCapacity};
    const bool subgroups = device.info().subgroupArithmetic();
    ATELIER_ASSIGN(const vk::Pipeline* maxima,
                   device.pipelines().get({subgroups ? "top_logits_maxima" : "top_logits_maxima_shared", 3,
                                           sizeof push, {std::min<uint32_t>(kWorkgroup, 64)}}));
    ATELIER_ASSIGN(const vk::Pipeline* threshold,
                   device.pipelines().get({"top_logits_threshold", 3, sizeof push, {kWorkgroup}}));
    ATELIER_ASSIGN(const vk::Pipeline* select,
                   device.pipelines().get({"top_logits_select", 3, sizeof push, {kWorkgroup}}));

    const auto l = logits.buffer.range();
    const auto m = work.maxima.range();
    const auto s = work.selected.range();
    const uint32_t maxX = device.info().maxWorkgroupCount[0];
    const Grid perGroup = grid1d(groups, 1, maxX);
    ATELIER_TRY(batch.dispatch(*maxima, {vk::readOf(l), vk::writeOf(m), vk::readOf(s)}, push, perGroup.x, perGroup.y));
    ATELIER_TRY(batch.dispatch(*threshold, {vk::readOf(l), vk::readOf(m), vk::writeOf(s)}, push, 1));
    const Grid perLogit = grid1d(work.vocab, kWorkgroup, maxX);
    ATELIER_TRY(batch.dispatch(*select, {vk::readOf(l), vk::readOf(m), vk::readWriteOf(s)}, push, perLogit.x, perLogit.y));
    if (work.readback.valid())
        batch.copy(s, work.readback.range());
    return {};
}

Result<TopLogits> readTopLogits(const TopLogitsWork& work)
{
    const vk::Buffer& host = work.readback.valid() ? work.readback : work.selected;
    if (!host.mapped())
        return makeError(ErrorCode::Vulkan, "top logits: the candidate list is not host-visible");
    const auto* bytes = static_cast<const uint8_t*>(host.mapped());
    uint32_t header[2];
    std::memcpy(header, bytes, sizeof header);
    TopLogits r;
    r.nans = header[1];
    if (header[0] > kTopLogitsCapacity) {
        r.overflowed = true;
        return r;
    }
    r.candidates.resize(header[0]);
    for (uint32_t i = 0; i < header[0]; ++i) {
        uint32_t pair[2];
        std::memcpy(pair, bytes + kHeaderBytes + uint64_t(i) * 8, sizeof pair);
        if (pair[0] >= work.vocab)
            return makeError(ErrorCode::Vulkan, "top logits: a candidate id past the vocabulary");
        float logit;
        std::memcpy(&logit, &pair[1], 4);
        r.candidates[i] = {int32_t(pair[0]), logit};
    }
    std::sort(r.candidates.begin(), r.candidates.end(), [](const TopLogit& a, const TopLogit& b) {
        return a.logit > b.logit || (a.logit == b.logit && a.id < b.id);
    });
    return r;
}

} // namespace atelier::ops
