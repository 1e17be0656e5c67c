// Helpers shared by the binding files: argument checks that throw JS TypeErrors with a code the
// TypeScript layer maps to AsterismError.
#pragma once

#include <napi.h>

#include <string>

namespace asterism::binding {

// Throws a JS Error whose `code` is E_INVALID_ARGUMENT.
[[noreturn]] void throwInvalid(Napi::Env env, const std::string& message);

Napi::Error makeError(Napi::Env env, const char* code, const std::string& message);

double numberOption(const Napi::Object& options, const char* key, double fallback);

void registerDetect(Napi::Env env, Napi::Object exports);
void registerFits(Napi::Env env, Napi::Object exports);
void registerKdtree(Napi::Env env, Napi::Object exports);
void registerVerify(Napi::Env env, Napi::Object exports);

}  // namespace asterism::binding
