#pragma once
// Device memory: tensors are sub-allocated from large blocks, each block one VkDeviceMemory with
// one VkBuffer over all of it. A Buffer is a move-only handle on a range of a block.

#include "core/result.h"
#include "vk/device_info.h"

#include <vulkan/vulkan.h>

#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

namespace atelier::vk {

class DeviceAllocator;

enum class MemoryKind {
    DeviceLocal, // tensors: fastest for the GPU; mapped too when the device is UMA (lavapipe, iGPUs)
    Staging,     // host-visible, for uploads
    Readback,    // host-visible and cached when possible, for downloads
};

// What a shader binds: one range of one VkBuffer, at most maxStorageBufferRange long.
struct BufferRange {
    VkBuffer buffer = VK_NULL_HANDLE;
    uint64_t offset = 0; // bytes from the start of `buffer`
    uint64_t size = 0;   // bytes
};

class Buffer {
public:
    Buffer() = default;
    ~Buffer() { release(); }
    Buffer(Buffer&& other) noexcept { *this = std::move(other); }
    Buffer& operator=(Buffer&& other) noexcept;
    Buffer(const Buffer&) = delete;
    Buffer& operator=(const Buffer&) = delete;

    bool valid() const { return mBuffer != VK_NULL_HANDLE; }
    // A non-owning handle on the first `bytes` of this buffer (a reshaped or shortened tensor);
    // it must not outlive this buffer.
    Buffer alias(uint64_t bytes) const;
    // The same from byte `offset` on (a part of a fused weight or activation); offset is clamped to
    // the buffer and should keep the device's binding alignment.
    Buffer alias(uint64_t offset, uint64_t bytes) const;
    uint64_t size() const { return mSize; }
    VkBuffer vkBuffer() const { return mBuffer; }
    uint64_t blockOffset() const { return mOffset; }
    // Host pointer to the first byte, or nullptr when the memory is not host-visible.
    void* mapped() const { return mMapped; }
    // A range of this buffer for a descriptor; offset and size are in bytes from this buffer's start.
    BufferRange range(uint64_t offset = 0, uint64_t size = UINT64_MAX) const;
    void release();

private:
    friend class DeviceAllocator;
    DeviceAllocator* mOwner = nullptr;
    uint32_t mBlock = 0;
    VkBuffer mBuffer = VK_NULL_HANDLE;
    uint64_t mOffset = 0;
    uint64_t mSize = 0;
    uint64_t mReserved = 0; // aligned size taken from the block
    void* mMapped = nullptr;
};

class DeviceAllocator {
public:
    DeviceAllocator(VkDevice device, const DeviceInfo& info, uint64_t blockSize = 256ull << 20);
    ~DeviceAllocator();
    DeviceAllocator(const DeviceAllocator&) = delete;
    DeviceAllocator& operator=(const DeviceAllocator&) = delete;

    Result<Buffer> allocate(uint64_t bytes, MemoryKind kind);

    uint64_t bytesInUse() const;     // sum of live buffers
    uint64_t peakBytesInUse() const; // the most bytesInUse() has been since the allocator was made
    uint64_t bytesReserved() const;  // sum of blocks held from the driver
    uint64_t blocksCreated() const;  // allocations asked of the driver so far (vkAllocateMemory)
    uint64_t alignment() const { return mAlignment; }
    bool deviceLocalIsMapped() const; // UMA: DeviceLocal buffers are host-visible

private:
    friend class Buffer;
    struct FreeRange { uint64_t offset, size; };
    struct Block {
        VkDeviceMemory memory = VK_NULL_HANDLE;
        VkBuffer buffer = VK_NULL_HANDLE;
        uint64_t size = 0;
        MemoryKind kind = MemoryKind::DeviceLocal;
        void* mapped = nullptr;
        std::vector<FreeRange> free; // sorted by offset
        uint32_t live = 0;
    };

    Result<uint32_t> findMemoryType(MemoryKind kind) const;
    Result<uint32_t> createBlock(uint64_t size, MemoryKind kind);
    void destroyBlock(Block& block);
    void free(uint32_t block, uint64_t offset, uint64_t size);
    uint64_t standardBlockSize(MemoryKind kind) const;
    bool hasOtherEmptyBlock(uint32_t block) const;

    VkDevice mDevice;
    const DeviceInfo& mInfo;
    VkPhysicalDeviceMemoryProperties mMemProps{};
    uint64_t mBlockSize;
    uint64_t mAlignment;
    mutable std::mutex mMutex;
    std::vector<std::unique_ptr<Block>> mBlocks; // null entries are released blocks
    uint64_t mInUse = 0;
    uint64_t mPeakInUse = 0;
    uint64_t mReserved = 0;
    uint64_t mBlocksCreated = 0;
};

} // namespace atelier::vk
