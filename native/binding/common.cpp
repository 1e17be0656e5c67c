#include "common.h"

namespace asterism::binding {

Napi::Error makeError(Napi::Env env, const char* code, const std::string& message) {
  Napi::Error error = Napi::Error::New(env, message);
  error.Set("code", Napi::String::New(env, code));
  return error;
}

void throwInvalid(Napi::Env env, const std::string& message) {
  throw makeError(env, "E_INVALID_ARGUMENT", message);
}

double numberOption(const Napi::Object& options, const char* key, double fallback) {
  if (!options.Has(key)) return fallback;
  const Napi::Value v = options.Get(key);
  if (v.IsUndefined()) return fallback;
  if (!v.IsNumber()) throwInvalid(options.Env(), std::string("option ") + key + " must be a number");
  return v.As<Napi::Number>().DoubleValue();
}

}  // namespace asterism::binding
