#pragma once
// Qt Test helpers for Result<T>/Status: fail the test function with the error's own message.

#include "core/result.h"

#include <QtTest>

#include <string>

namespace atelier::test {

template <typename T>
std::string errorText(const Result<T>& r)
{
    return r.ok() ? std::string() : r.error().message;
}

} // namespace atelier::test

// Fails the test function with the error's message unless `expr` succeeded.
#define VERIFY_OK(expr)                                                              \
    do {                                                                             \
        const auto& verifyResult_ = (expr);                                          \
        QVERIFY2(verifyResult_.ok(), atelier::test::errorText(verifyResult_).c_str()); \
    } while (0)

// ASSIGN_OR_FAIL(auto t, Tensor::create(...)); unwraps a Result or fails the test function.
#define ASSIGN_OR_FAIL(decl, expr) ASSIGN_OR_FAIL_IMPL_(ATELIER_CONCAT_(assignTmp_, __LINE__), decl, expr)
#define ASSIGN_OR_FAIL_IMPL_(tmp, decl, expr)                  \
    auto tmp = (expr);                                         \
    QVERIFY2(tmp.ok(), atelier::test::errorText(tmp).c_str()); \
    decl = std::move(tmp).value()
