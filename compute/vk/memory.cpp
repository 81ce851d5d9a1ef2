#include "vk/memory.h"

#include "vk/check.h"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace atelier::vk {

namespace {
uint64_t alignUp(uint64_t v, uint64_t a) { return (v + a - 1) / a * a; }

std::string mib(uint64_t bytes) { return std::to_string((bytes + (1 << 20) - 1) >> 20) + " MiB"; }
} // namespace

// ---- Buffer ----

Buffer& Buffer::operator=(Buffer&& other) noexcept
{
    if (this != &other) {
        release();
        mOwner = std::exchange(other.mOwner, nullptr);
        mBlock = other.mBlock;
        mBuffer = std::exchange(other.mBuffer, VK_NULL_HANDLE);
        mOffset = other.mOffset;
        mSize = std::exchange(other.mSize, 0);
        mReserved = other.mReserved;
        mMapped = std::exchange(other.mMapped, nullptr);
    }
    return *this;
}

Buffer Buffer::alias(uint64_t bytes) const
{
    Buffer b;
    b.mBuffer = mBuffer;
    b.mOffset = mOffset;
    b.mSize = std::min(bytes, mSize);
    b.mMapped = mMapped;
    return b; // mOwner stays null: release() frees nothing
}

Buffer Buffer::alias(uint64_t offset, uint64_t bytes) const
{
    offset = std::min(offset, mSize);
    Buffer b = alias(mSize);
    b.mOffset = mOffset + offset;
    b.mSize = std::min(bytes, mSize - offset);
    b.mMapped = mMapped ? static_cast<char*>(mMapped) + offset : nullptr;
    return b;
}

BufferRange Buffer::range(uint64_t offset, uint64_t size) const
{
    offset = std::min(offset, mSize);
    size = std::min(size, mSize - offset);
    return BufferRange{mBuffer, mOffset + offset, size};
}

void Buffer::release()
{
    if (mOwner)
        mOwner->free(mBlock, mOffset, mReserved);
    mOwner = nullptr;
    mBuffer = VK_NULL_HANDLE;
    mMapped = nullptr;
    mSize = 0;
}

// ---- DeviceAllocator ----

DeviceAllocator::DeviceAllocator(VkDevice device, const DeviceInfo& info, uint64_t blockSize)
    : mDevice(device), mInfo(info), mBlockSize(blockSize)
{
    vkGetPhysicalDeviceMemoryProperties(info.handle, &mMemProps);
    // 256 bytes satisfies every storage-offset alignment seen in practice and keeps rows aligned.
    mAlignment = std::max<uint64_t>(256, info.minStorageBufferOffsetAlignment);
    if (info.maxMemoryAllocationSize)
        mBlockSize = std::min(mBlockSize, info.maxMemoryAllocationSize);
}

DeviceAllocator::~DeviceAllocator()
{
    for (auto& b : mBlocks) {
        if (b) {
            if (b->live)
                spdlog::warn("device allocator destroyed with {} live buffers", b->live);
            destroyBlock(*b);
        }
    }
}

Result<uint32_t> DeviceAllocator::findMemoryType(MemoryKind kind) const
{
    auto pick = [&](VkMemoryPropertyFlags want, VkMemoryPropertyFlags avoid) -> int {
        for (uint32_t i = 0; i < mMemProps.memoryTypeCount; ++i) {
            const auto f = mMemProps.memoryTypes[i].propertyFlags;
            if ((f & want) == want && !(f & avoid))
                return int(i);
        }
        return -1;
    };
    const VkMemoryPropertyFlags hostVisible = VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT;
    int type = -1;
    switch (kind) {
    case MemoryKind::DeviceLocal:
        // On UMA devices prefer a device-local type that is also mapped, so uploads are memcpy.
        if (mInfo.type == VK_PHYSICAL_DEVICE_TYPE_CPU || mInfo.type == VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU)
            type = pick(VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT | hostVisible, 0);
        if (type < 0)
            type = pick(VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT, 0);
        break;
    case MemoryKind::Staging:
        type = pick(hostVisible, VK_MEMORY_PROPERTY_HOST_CACHED_BIT);
        if (type < 0)
            type = pick(hostVisible, 0);
        break;
    case MemoryKind::Readback:
        type = pick(hostVisible | VK_MEMORY_PROPERTY_HOST_CACHED_BIT, 0);
        if (type < 0)
            type = pick(hostVisible, 0);
        break;
    }
    if (type < 0)
        return makeError(ErrorCode::Unsupported, "the device has no suitable memory type");
    return uint32_t(type);
}

bool DeviceAllocator::deviceLocalIsMapped() const
{
    auto t = findMemoryType(MemoryKind::DeviceLocal);
    return t.ok() && (mMemProps.memoryTypes[t.value()].propertyFlags & VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT);
}

Result<uint32_t> DeviceAllocator::createBlock(uint64_t size, MemoryKind kind)
{
    ATELIER_ASSIGN(const uint32_t type, findMemoryType(kind));
    const auto& heap = mMemProps.memoryHeaps[mMemProps.memoryTypes[type].heapIndex];
    if (size > heap.size || (mInfo.maxMemoryAllocationSize && size > mInfo.maxMemoryAllocationSize) ||
        (mInfo.maxBufferSize && size > mInfo.maxBufferSize))
        return makeError(ErrorCode::OutOfDeviceMemory,
                         "A buffer of " + mib(size) + " does not fit on this GPU (heap " + mib(heap.size) +
                             ", largest allocation " + mib(mInfo.maxMemoryAllocationSize) + ").");

    auto block = std::make_unique<Block>();
    block->size = size;
    block->kind = kind;

    VkBufferCreateInfo bi{VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO};
    bi.size = size;
    bi.usage = VK_BUFFER_USAGE_STORAGE_BUFFER_BIT | VK_BUFFER_USAGE_STORAGE_TEXEL_BUFFER_BIT |
               VK_BUFFER_USAGE_UNIFORM_TEXEL_BUFFER_BIT |
               VK_BUFFER_USAGE_TRANSFER_SRC_BIT | VK_BUFFER_USAGE_TRANSFER_DST_BIT;
    bi.sharingMode = VK_SHARING_MODE_EXCLUSIVE;
    VK_CHECK(vkCreateBuffer(mDevice, &bi, nullptr, &block->buffer));

    VkMemoryRequirements req{};
    vkGetBufferMemoryRequirements(mDevice, block->buffer, &req);
    if (!(req.memoryTypeBits & (1u << type))) {
        vkDestroyBuffer(mDevice, block->buffer, nullptr);
        return makeError(ErrorCode::Unsupported, "storage buffers cannot live in the chosen memory type");
    }
    VkMemoryAllocateInfo ai{VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO};
    ai.allocationSize = req.size;
    ai.memoryTypeIndex = type;
    const VkResult r = vkAllocateMemory(mDevice, &ai, nullptr, &block->memory);
    if (r != VK_SUCCESS) {
        vkDestroyBuffer(mDevice, block->buffer, nullptr);
        if (r == VK_ERROR_OUT_OF_DEVICE_MEMORY || r == VK_ERROR_OUT_OF_HOST_MEMORY)
            return makeError(ErrorCode::OutOfDeviceMemory,
                             "The GPU ran out of memory allocating " + mib(size) + " (" + mib(mReserved) +
                                 " already held by Atelier).");
        return vulkanError(r, "vkAllocateMemory", __FILE__, __LINE__);
    }
    VK_CHECK(vkBindBufferMemory(mDevice, block->buffer, block->memory, 0));
    if (mMemProps.memoryTypes[type].propertyFlags & VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT)
        VK_CHECK(vkMapMemory(mDevice, block->memory, 0, VK_WHOLE_SIZE, 0, &block->mapped));
    block->free.push_back({0, size});
    mReserved += size;
    ++mBlocksCreated;

    for (uint32_t i = 0; i < mBlocks.size(); ++i) {
        if (!mBlocks[i]) {
            mBlocks[i] = std::move(block);
            return i;
        }
    }
    mBlocks.push_back(std::move(block));
    return uint32_t(mBlocks.size() - 1);
}

void DeviceAllocator::destroyBlock(Block& block)
{
    if (block.mapped)
        vkUnmapMemory(mDevice, block.memory);
    vkDestroyBuffer(mDevice, block.buffer, nullptr);
    vkFreeMemory(mDevice, block.memory, nullptr);
    mReserved -= block.size;
}

Result<Buffer> DeviceAllocator::allocate(uint64_t bytes, MemoryKind kind)
{
    if (bytes == 0)
        return makeError(ErrorCode::InvalidArgument, "cannot allocate an empty buffer");
    std::lock_guard lock(mMutex);
    const uint64_t need = alignUp(bytes, mAlignment);

    auto take = [&](uint32_t bi) -> std::optional<Buffer> {
        Block& b = *mBlocks[bi];
        for (size_t i = 0; i < b.free.size(); ++i) {
            FreeRange& fr = b.free[i];
            if (fr.size < need)
                continue;
            Buffer buf;
            buf.mOwner = this;
            buf.mBlock = bi;
            buf.mBuffer = b.buffer;
            buf.mOffset = fr.offset;
            buf.mSize = bytes;
            buf.mReserved = need;
            buf.mMapped = b.mapped ? static_cast<char*>(b.mapped) + fr.offset : nullptr;
            fr.offset += need;
            fr.size -= need;
            if (fr.size == 0)
                b.free.erase(b.free.begin() + long(i));
            ++b.live;
            mInUse += need;
            mPeakInUse = std::max(mPeakInUse, mInUse);
            return buf;
        }
        return std::nullopt;
    };

    for (uint32_t i = 0; i < mBlocks.size(); ++i) {
        if (mBlocks[i] && mBlocks[i]->kind == kind) {
            if (auto buf = take(i))
                return std::move(*buf);
        }
    }
    // Large tensors get a block of their own; everything else shares standard blocks.
    ATELIER_ASSIGN(const uint32_t bi, createBlock(std::max(need, standardBlockSize(kind)), kind));
    return std::move(*take(bi));
}

uint64_t DeviceAllocator::standardBlockSize(MemoryKind kind) const
{
    // Host-visible staging blocks are smaller: they only hold transfers in flight.
    return kind == MemoryKind::DeviceLocal ? mBlockSize : std::min<uint64_t>(mBlockSize, 64ull << 20);
}

bool DeviceAllocator::hasOtherEmptyBlock(uint32_t blockIndex) const
{
    const Block& b = *mBlocks[blockIndex];
    for (uint32_t i = 0; i < mBlocks.size(); ++i)
        if (i != blockIndex && mBlocks[i] && mBlocks[i]->kind == b.kind && mBlocks[i]->live == 0)
            return true;
    return false;
}

void DeviceAllocator::free(uint32_t blockIndex, uint64_t offset, uint64_t size)
{
    std::lock_guard lock(mMutex);
    Block& b = *mBlocks[blockIndex];
    auto it = std::lower_bound(b.free.begin(), b.free.end(), offset,
                               [](const FreeRange& r, uint64_t o) { return r.offset < o; });
    it = b.free.insert(it, {offset, size});
    if (it + 1 != b.free.end() && it->offset + it->size == (it + 1)->offset) { // merge with next
        it->size += (it + 1)->size;
        b.free.erase(it + 1);
    }
    if (it != b.free.begin() && (it - 1)->offset + (it - 1)->size == it->offset) { // merge with previous
        (it - 1)->size += it->size;
        b.free.erase(it);
    }
    --b.live;
    mInUse -= size;
    // Give empty oversized blocks back to the driver; keep standard ones for reuse. Host-visible
    // blocks only hold transfers in flight: one empty block of each kind stays, since every upload
    // and download needs one, and allocating, pinning and mapping 64 MiB costs milliseconds on a
    // discrete GPU (on NVIDIA's driver, while each transfer made its own, a forward pass took
    // about 27 ms longer than on lavapipe).
    if (b.live == 0 && (b.size > standardBlockSize(b.kind) ||
                        (b.kind != MemoryKind::DeviceLocal && hasOtherEmptyBlock(blockIndex)))) {
        destroyBlock(b);
        mBlocks[blockIndex].reset();
    }
}

uint64_t DeviceAllocator::bytesInUse() const
{
    std::lock_guard lock(mMutex);
    return mInUse;
}

uint64_t DeviceAllocator::peakBytesInUse() const
{
    std::lock_guard lock(mMutex);
    return mPeakInUse;
}

uint64_t DeviceAllocator::bytesReserved() const
{
    std::lock_guard lock(mMutex);
    return mReserved;
}

uint64_t DeviceAllocator::blocksCreated() const
{
    std::lock_guard lock(mMutex);
    return mBlocksCreated;
}

} // namespace atelier::vk
