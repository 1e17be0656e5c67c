// Module entry: each binding file registers its own functions.
#include <napi.h>

#include "common.h"

namespace {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  asterism::binding::registerDetect(env, exports);
  asterism::binding::registerFits(env, exports);
  asterism::binding::registerKdtree(env, exports);
  asterism::binding::registerVerify(env, exports);
  exports.Set("abiVersion", Napi::Number::New(env, 1));
  return exports;
}

}  // namespace

NODE_API_MODULE(asterism, Init)
