#pragma once
// Errors as values: every fallible call in compute/ returns Result<T> with a message for the user.

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace atelier {

enum class ErrorCode {
    InvalidArgument,   // a caller passed something that cannot work (shape mismatch, bad size)
    Io,                // a file could not be read or written
    Format,            // a file's contents are not what they claim to be
    Unsupported,       // the device or the build lacks a feature this needs
    OutOfDeviceMemory, // the GPU heap is full
    OutOfHostMemory,   // system memory is exhausted
    DeviceLost,        // the driver reset or the GPU vanished
    NoDevice,          // no usable Vulkan device
    Cancelled,         // the user cancelled the job
    Vulkan,            // any other Vulkan failure
};

const char* errorCodeName(ErrorCode code);

struct Error {
    ErrorCode code = ErrorCode::InvalidArgument;
    std::string message;
};

inline Error makeError(ErrorCode code, std::string message) { return Error{code, std::move(message)}; }

template <typename T>
class [[nodiscard]] Result {
public:
    Result(T value) : mState(std::move(value)) {}
    Result(Error error) : mState(std::move(error)) {}

    bool ok() const { return mState.index() == 0; }
    explicit operator bool() const { return ok(); }

    T& value() & { assert(ok()); return std::get<0>(mState); }
    const T& value() const& { assert(ok()); return std::get<0>(mState); }
    T&& value() && { assert(ok()); return std::get<0>(std::move(mState)); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }
    T& operator*() & { return value(); }

    const Error& error() const { assert(!ok()); return std::get<1>(mState); }

private:
    std::variant<T, Error> mState;
};

template <>
class [[nodiscard]] Result<void> {
public:
    Result() = default;
    Result(Error error) : mError(std::move(error)), mOk(false) {}

    bool ok() const { return mOk; }
    explicit operator bool() const { return mOk; }
    const Error& error() const { assert(!mOk); return mError; }

private:
    Error mError;
    bool mOk = true;
};

using Status = Result<void>;

} // namespace atelier

// Propagates an error from an expression returning Result<...>/Status.
#define ATELIER_TRY(expr)                                      \
    do {                                                       \
        auto&& atelierTryResult_ = (expr);                     \
        if (!atelierTryResult_.ok())                           \
            return atelierTryResult_.error();                  \
    } while (0)

#define ATELIER_CONCAT_INNER_(a, b) a##b
#define ATELIER_CONCAT_(a, b) ATELIER_CONCAT_INNER_(a, b)
// ATELIER_ASSIGN(auto buffer, allocate(...)); unwraps a Result or returns its error.
#define ATELIER_ASSIGN(decl, expr) ATELIER_ASSIGN_IMPL_(ATELIER_CONCAT_(atelierTmp_, __LINE__), decl, expr)
#define ATELIER_ASSIGN_IMPL_(tmp, decl, expr)                  \
    auto tmp = (expr);                                         \
    if (!tmp.ok())                                             \
        return tmp.error();                                    \
    decl = std::move(tmp).value()
