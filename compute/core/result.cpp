#include "core/result.h"

namespace atelier {

const char* errorCodeName(ErrorCode code)
{
    switch (code) {
    case ErrorCode::InvalidArgument: return "invalid argument";
    case ErrorCode::Io: return "I/O error";
    case ErrorCode::Format: return "format error";
    case ErrorCode::Unsupported: return "unsupported";
    case ErrorCode::OutOfDeviceMemory: return "out of device memory";
    case ErrorCode::OutOfHostMemory: return "out of host memory";
    case ErrorCode::DeviceLost: return "device lost";
    case ErrorCode::NoDevice: return "no Vulkan device";
    case ErrorCode::Cancelled: return "cancelled";
    case ErrorCode::Vulkan: return "Vulkan error";
    }
    return "error";
}

} // namespace atelier
