// FftPlan: the one translation unit that includes VkFFT (a large header, slow to compile).

#include "ops/fft.h"

#include "vk/check.h"
#include "vk/device.h"

#include <spdlog/spdlog.h>

// GCC reports VkFFT's own maybe-uninitialized locals once they are inlined here.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <vkFFT.h>
#pragma GCC diagnostic pop

#include <chrono>
#include <locale.h>
#include <mutex>
#include <string>

namespace atelier::ops {

namespace {

// Larger than any image Atelier blurs, small enough that every index fits in 32 bits.
constexpr int kMaxSide = 1 << 16;

std::string sizeText(int height, int width, int batch)
{
    return std::to_string(batch) + " x " + std::to_string(height) + " x " + std::to_string(width);
}

Error vkfftError(VkFFTResult result, const std::string& what)
{
    ErrorCode code = ErrorCode::Vulkan;
    switch (result) {
    case VKFFT_ERROR_MALLOC_FAILED:
        code = ErrorCode::OutOfHostMemory;
        break;
    case VKFFT_ERROR_FAILED_TO_ALLOCATE:
    case VKFFT_ERROR_FAILED_TO_ALLOCATE_MEMORY:
        code = ErrorCode::OutOfDeviceMemory;
        break;
    case VKFFT_ERROR_UNSUPPORTED_RADIX:
    case VKFFT_ERROR_UNSUPPORTED_FFT_LENGTH:
    case VKFFT_ERROR_UNSUPPORTED_FFT_LENGTH_R2C:
    case VKFFT_ERROR_EMPTY_size:
        code = ErrorCode::Unsupported;
        break;
    default:
        break;
    }
    return makeError(code, what + ": VkFFT error " + std::to_string(int(result)) + " (" +
                               getVkFFTErrorString(result) + ")");
}

// VkFFT prints its float constants with sprintf("%.17Le"), which follows LC_NUMERIC: a Qt process
// runs under the user's locale (setlocale(LC_ALL, "") in QCoreApplication), and "1,5e+00" does not
// compile. Switch this thread, and only this thread, to the C locale while VkFFT generates code.
class CLocaleScope {
public:
    CLocaleScope() : mC(newlocale(LC_ALL_MASK, "C", locale_t(0)))
    {
        if (mC)
            mPrevious = uselocale(mC);
    }
    ~CLocaleScope()
    {
        if (mC) {
            uselocale(mPrevious);
            freelocale(mC);
        }
    }
    CLocaleScope(const CLocaleScope&) = delete;
    CLocaleScope& operator=(const CLocaleScope&) = delete;

private:
    locale_t mC;
    locale_t mPrevious = LC_GLOBAL_LOCALE;
};

// glslang's process-wide state, set up once and kept: VkFFT would otherwise initialise and
// finalise it around every plan (rebuilding its built-in symbol tables each time).
bool glslangReady()
{
    static std::once_flag once;
    static bool ready = false;
    std::call_once(once, [] { ready = glslang_initialize_process() != 0; });
    return ready;
}

Result<uint32_t> deviceLocalType(VkPhysicalDevice physical, uint32_t typeBits)
{
    VkPhysicalDeviceMemoryProperties props;
    vkGetPhysicalDeviceMemoryProperties(physical, &props);
    for (VkMemoryPropertyFlags wanted : {VkMemoryPropertyFlags(VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT), VkMemoryPropertyFlags(0)})
        for (uint32_t i = 0; i < props.memoryTypeCount; ++i)
            if ((typeBits & (1u << i)) && (props.memoryTypes[i].propertyFlags & wanted) == wanted)
                return i;
    return makeError(ErrorCode::Unsupported, "FFT: no memory type for the work buffers");
}

} // namespace

struct FftPlan::Application {
    // VkFFT keeps pointers to these: they live as long as the application.
    VkPhysicalDevice physicalDevice = VK_NULL_HANDLE;
    VkDevice device = VK_NULL_HANDLE;
    VkQueue queue = VK_NULL_HANDLE;
    VkCommandPool commandPool = VK_NULL_HANDLE;
    VkFence fence = VK_NULL_HANDLE;
    VkBuffer realBuffer = VK_NULL_HANDLE;     // [batch, height, width] f32
    VkBuffer spectrumBuffer = VK_NULL_HANDLE; // [batch, height, width / 2 + 1] complex f32
    VkDeviceMemory memory = VK_NULL_HANDLE;   // both buffers
    pfUINT realBytes = 0;
    pfUINT spectrumBytes = 0;
    VkFFTApplication app = VKFFT_ZERO_INIT;
    bool planned = false;

    ~Application()
    {
        if (planned)
            deleteVkFFT(&app);
        if (device) {
            vkDestroyBuffer(device, realBuffer, nullptr);
            vkDestroyBuffer(device, spectrumBuffer, nullptr);
            vkFreeMemory(device, memory, nullptr);
            vkDestroyFence(device, fence, nullptr);
        }
    }

    Status createBuffers(vk::Device& dev)
    {
        const VkBufferUsageFlags usage = VK_BUFFER_USAGE_STORAGE_BUFFER_BIT | VK_BUFFER_USAGE_TRANSFER_SRC_BIT |
                                         VK_BUFFER_USAGE_TRANSFER_DST_BIT;
        VkBufferCreateInfo bi{VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO};
        bi.usage = usage;
        bi.sharingMode = VK_SHARING_MODE_EXCLUSIVE;
        bi.size = realBytes;
        VK_CHECK(vkCreateBuffer(device, &bi, nullptr, &realBuffer));
        bi.size = spectrumBytes;
        VK_CHECK(vkCreateBuffer(device, &bi, nullptr, &spectrumBuffer));

        VkMemoryRequirements real, spectrum;
        vkGetBufferMemoryRequirements(device, realBuffer, &real);
        vkGetBufferMemoryRequirements(device, spectrumBuffer, &spectrum);
        const VkDeviceSize spectrumOffset = (real.size + spectrum.alignment - 1) / spectrum.alignment * spectrum.alignment;
        ATELIER_ASSIGN(const uint32_t type, deviceLocalType(dev.info().handle, real.memoryTypeBits & spectrum.memoryTypeBits));
        VkMemoryAllocateInfo ai{VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO};
        ai.allocationSize = spectrumOffset + spectrum.size;
        ai.memoryTypeIndex = type;
        VK_CHECK(vkAllocateMemory(device, &ai, nullptr, &memory));
        VK_CHECK(vkBindBufferMemory(device, realBuffer, memory, 0));
        VK_CHECK(vkBindBufferMemory(device, spectrumBuffer, memory, spectrumOffset));
        return {};
    }

    Status record(vk::CommandBatch& batch, bool inverse)
    {
        const vk::BufferRange real{realBuffer, 0, realBytes};
        const vk::BufferRange spectrum{spectrumBuffer, 0, spectrumBytes};
        const auto append = [&](VkCommandBuffer cmd) -> Status {
            VkFFTLaunchParams launch = VKFFT_ZERO_INIT;
            launch.commandBuffer = &cmd; // buffers and offsets stay those of the plan
            const VkFFTResult r = VkFFTAppend(&app, inverse ? 1 : -1, &launch);
            if (r != VKFFT_SUCCESS)
                return vkfftError(r, inverse ? "inverse FFT" : "forward FFT");
            return {};
        };
        // Forward reads the real images and writes the spectrum; inverse works in place on the
        // spectrum (axis by axis) before its last pass writes the real images.
        if (inverse)
            return batch.recordExternal({vk::readWriteOf(spectrum), vk::writeOf(real)}, append);
        return batch.recordExternal({vk::readOf(real), vk::readWriteOf(spectrum)}, append);
    }
};

FftPlan::FftPlan(int height, int width, int batch) : mHeight(height), mWidth(width), mBatch(batch) {}

FftPlan::~FftPlan() = default;

Result<std::unique_ptr<FftPlan>> FftPlan::create(vk::Device& device, int height, int width, int batch)
{
    const std::string size = sizeText(height, width, batch);
    if (height < 1 || width < 2 || batch < 1 || height > kMaxSide || width > kMaxSide || batch > kMaxSide)
        return makeError(ErrorCode::InvalidArgument,
                         "FFT of " + size + ": height and batch must be 1 to 65536, width 2 to 65536");
    const uint64_t realBytes = uint64_t(batch) * uint64_t(height) * uint64_t(width) * sizeof(float);
    const uint64_t spectrumBytes = uint64_t(batch) * uint64_t(height) * uint64_t(width / 2 + 1) * 2 * sizeof(float);
    const uint64_t maxRange = device.info().maxStorageBufferRange;
    if (spectrumBytes > maxRange || realBytes > maxRange)
        return makeError(ErrorCode::Unsupported, "FFT of " + size + ": its spectrum takes " +
                                                     std::to_string(spectrumBytes >> 20) +
                                                     " MiB, more than this device binds at once (" +
                                                     std::to_string(maxRange >> 20) + " MiB)");
    if (!glslangReady())
        return makeError(ErrorCode::Unsupported, "FFT: glslang could not be initialised");

    std::unique_ptr<FftPlan> plan(new FftPlan(height, width, batch));
    plan->mApp = std::make_unique<Application>();
    Application& a = *plan->mApp;
    a.physicalDevice = device.info().handle;
    a.device = device.handle();
    a.queue = device.queue();
    a.commandPool = device.commandPool();
    a.realBytes = realBytes;
    a.spectrumBytes = spectrumBytes;
    VkFenceCreateInfo fi{VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
    VK_CHECK(vkCreateFence(a.device, &fi, nullptr, &a.fence));
    ATELIER_TRY(a.createBuffers(device));

    VkFFTConfiguration c = VKFFT_ZERO_INIT;
    c.FFTdim = 2;
    c.size[0] = pfUINT(width); // VkFFT's axis 0 is the fastest
    c.size[1] = pfUINT(height);
    c.numberBatches = pfUINT(batch);
    c.performR2C = 1;
    c.normalize = 1;
    c.isInputFormatted = 1;           // real images unpadded in their own buffer (inputBuffer) ...
    c.inverseReturnToInputBuffer = 1; // ... where the inverse writes its result too
    c.isCompilerInitialized = 1;      // glslangReady()
    c.physicalDevice = &a.physicalDevice;
    c.device = &a.device;
    c.queue = &a.queue;
    c.commandPool = &a.commandPool;
    c.fence = &a.fence;
    c.bufferNum = 1;
    c.buffer = &a.spectrumBuffer;
    c.bufferSize = &a.spectrumBytes;
    c.inputBufferNum = 1;
    c.inputBuffer = &a.realBuffer;
    c.inputBufferSize = &a.realBytes;

    const auto start = std::chrono::steady_clock::now();
    VkFFTResult r;
    {
        CLocaleScope cLocale;
        r = initializeVkFFT(&a.app, c);
    }
    plan->mPlanSeconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (r != VKFFT_SUCCESS) // initializeVkFFT has freed what it made
        return vkfftError(r, "planning an FFT of " + size);
    a.planned = true;
    // Four-step and Bluestein plans hold a temp buffer VkFFT allocates itself, outside our allocator.
    spdlog::info("VkFFT planned {} in {:.2f} s{}", size, plan->mPlanSeconds,
                 a.app.configuration.allocateTempBuffer ? ", with its own temp buffer" : "");
    return plan;
}

std::vector<int64_t> FftPlan::realShape() const { return {mBatch, mHeight, mWidth}; }

std::vector<int64_t> FftPlan::spectrumShape() const { return {mBatch, mHeight, spectrumWidth(), 2}; }

vk::BufferRange FftPlan::realArea() const { return {mApp->realBuffer, 0, mApp->realBytes}; }

vk::BufferRange FftPlan::spectrumArea() const { return {mApp->spectrumBuffer, 0, mApp->spectrumBytes}; }

Status FftPlan::forwardArea(vk::CommandBatch& batch) { return mApp->record(batch, false); }

Status FftPlan::inverseArea(vk::CommandBatch& batch) { return mApp->record(batch, true); }

Status FftPlan::checkShape(const Tensor& t, const std::vector<int64_t>& shape, const char* what) const
{
    // The leading batch dimension may be left out when it is 1.
    const bool same = t.dtype == DType::F32 &&
                      (t.shape == shape || (shape[0] == 1 && t.shape == std::vector<int64_t>(shape.begin() + 1, shape.end())));
    if (same && t.buffer.valid())
        return {};
    Tensor expected;
    expected.shape = shape;
    return makeError(ErrorCode::InvalidArgument, std::string("FFT: ") + what + " is " + t.shapeText() +
                                                     ", expected " + expected.shapeText());
}

Status FftPlan::forward(vk::CommandBatch& batch, const Tensor& real, Tensor& spectrum)
{
    ATELIER_TRY(checkShape(real, realShape(), "the real input"));
    ATELIER_TRY(checkShape(spectrum, spectrumShape(), "the spectrum output"));
    batch.copy(real.buffer.range(), realArea());
    ATELIER_TRY(forwardArea(batch));
    batch.copy(spectrumArea(), spectrum.buffer.range());
    return {};
}

Status FftPlan::inverse(vk::CommandBatch& batch, const Tensor& spectrum, Tensor& real)
{
    ATELIER_TRY(checkShape(spectrum, spectrumShape(), "the spectrum input"));
    ATELIER_TRY(checkShape(real, realShape(), "the real output"));
    batch.copy(spectrum.buffer.range(), spectrumArea());
    ATELIER_TRY(inverseArea(batch));
    batch.copy(realArea(), real.buffer.range());
    return {};
}

} // namespace atelier::ops
