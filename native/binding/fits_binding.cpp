// fitsRead(bytes: Uint8Array, maxPixels: number) -> Promise<NativeFitsResult>
// fitsReadSync(bytes, maxPixels) -> NativeFitsResult
//
// Ownership: `bytes` is borrowed from JavaScript, not copied. The async worker holds a persistent
// reference to the Uint8Array so it cannot be collected while a pool thread reads it; the caller
// must not write to, transfer or detach its buffer until the promise settles. The decoded pixels
// belong to the worker until OnOK, which moves the vector into a heap object owned by an external
// ArrayBuffer: JavaScript then owns them without a copy and the ArrayBuffer's finalizer frees
// them. Cards are copied into JS strings on the main thread.
#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "../fits/fits.h"
#include "common.h"

namespace asterism::binding {

namespace {

struct FitsInput {
  const uint8_t* data = nullptr;
  size_t size = 0;
  int64_t maxPixels = 0;
};

FitsInput parseArgs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsTypedArray() || !info[1].IsNumber()) {
    throwInvalid(env, "fitsRead(bytes: Uint8Array, maxPixels: number) expected");
  }
  Napi::TypedArray ta = info[0].As<Napi::TypedArray>();
  if (ta.TypedArrayType() != napi_uint8_array) throwInvalid(env, "bytes must be a Uint8Array");
  const double maxPixels = info[1].As<Napi::Number>().DoubleValue();
  if (!(maxPixels >= 1)) throwInvalid(env, "maxPixels must be a number >= 1");
  FitsInput in;
  Napi::Uint8Array bytes = ta.As<Napi::Uint8Array>();
  in.data = bytes.Data();
  in.size = bytes.ElementLength();
  // The reader clamps the limit to 2^48 anyway; this only keeps the cast defined.
  in.maxPixels = maxPixels >= 9.0e18 ? INT64_MAX : static_cast<int64_t>(std::floor(maxPixels));
  return in;
}

const char* statusCode(fits::FitsStatus status) {
  switch (status) {
    case fits::FitsStatus::NotFits: return "E_IMAGE_FORMAT";
    case fits::FitsStatus::Truncated: return "E_IMAGE_TRUNCATED";
    case fits::FitsStatus::BadHeader: return "E_FITS_HEADER";
    case fits::FitsStatus::NoImage: return "E_IMAGE_EMPTY";
    case fits::FitsStatus::TooLarge: return "E_IMAGE_TOO_LARGE";
    case fits::FitsStatus::Ok: break;
  }
  return "E_NATIVE";
}

// Hands a vector's storage to JavaScript without copying it.
template <typename T, typename TypedArray>
TypedArray adoptVector(Napi::Env env, std::vector<T>& values) {
  auto owned = std::make_unique<std::vector<T>>(std::move(values));
  const size_t length = owned->size();
  Napi::ArrayBuffer buffer = Napi::ArrayBuffer::New(
      env, owned->data(), length * sizeof(T),
      [](Napi::Env, void*, std::vector<T>* hint) { delete hint; }, owned.get());
  owned.release();  // the ArrayBuffer's finalizer owns it now
  return TypedArray::New(env, length, buffer, 0);
}

// A string value is handed over quoted (with '' escapes) so the TypeScript side can tell the
// string '42' from the number 42; other values are passed as written.
std::string rawValue(const fits::FitsCard& card) {
  if (!card.isString) return card.value;
  std::string quoted = "'";
  for (const char ch : card.value) {
    quoted += ch;
    if (ch == '\'') quoted += '\'';
  }
  quoted += '\'';
  return quoted;
}

Napi::Value toResult(Napi::Env env, fits::FitsImage& image) {
  Napi::Object result = Napi::Object::New(env);
  result.Set("width", image.width);
  result.Set("height", image.height);
  result.Set("bitpix", image.bitpix);
  result.Set("hdu", image.hdu);
  if (image.bitpix == -64) {
    result.Set("pixels", adoptVector<double, Napi::Float64Array>(env, image.pixels64));
  } else {
    result.Set("pixels", adoptVector<float, Napi::Float32Array>(env, image.pixels32));
  }
  Napi::Array cards = Napi::Array::New(env, image.cards.size());
  for (size_t i = 0; i < image.cards.size(); ++i) {
    const fits::FitsCard& c = image.cards[i];
    Napi::Array card = Napi::Array::New(env, 3);
    card.Set(0u, Napi::String::New(env, c.keyword));
    card.Set(1u, Napi::String::New(env, rawValue(c)));
    card.Set(2u, Napi::String::New(env, c.comment));
    cards.Set(static_cast<uint32_t>(i), card);
  }
  result.Set("cards", cards);
  return result;
}

class FitsWorker : public Napi::AsyncWorker {
 public:
  FitsWorker(Napi::Env env, const FitsInput& in, Napi::Value bytes)
      : Napi::AsyncWorker(env, "asterism:fitsRead"), deferred_(Napi::Promise::Deferred::New(env)),
        in_(in) {
    bytesRef_ = Napi::Persistent(bytes.As<Napi::Object>());
  }
  Napi::Promise promise() { return deferred_.Promise(); }

 protected:
  void Execute() override {
    try {
      status_ = fits::readFitsImage(in_.data, in_.size, in_.maxPixels, image_, message_);
    } catch (const std::exception& e) {
      // std::bad_alloc for an image within the pixel limit that still does not fit in memory.
      SetError(e.what());
    }
  }
  void OnOK() override {
    Napi::Env env = Env();
    if (status_ != fits::FitsStatus::Ok) {
      deferred_.Reject(makeError(env, statusCode(status_), message_).Value());
      return;
    }
    try {
      deferred_.Resolve(toResult(env, image_));
    } catch (const Napi::Error& e) {
      deferred_.Reject(makeError(env, "E_NATIVE", e.Message()).Value());
    }
  }
  void OnError(const Napi::Error& e) override {
    deferred_.Reject(makeError(Env(), "E_NATIVE", e.Message()).Value());
  }

 private:
  Napi::Promise::Deferred deferred_;
  FitsInput in_;
  Napi::ObjectReference bytesRef_;
  fits::FitsImage image_;
  fits::FitsStatus status_ = fits::FitsStatus::Ok;
  std::string message_;
};

Napi::Value FitsRead(const Napi::CallbackInfo& info) {
  const FitsInput in = parseArgs(info);
  auto* worker = new FitsWorker(info.Env(), in, info[0]);
  Napi::Promise promise = worker->promise();
  worker->Queue();
  return promise;
}

Napi::Value FitsReadSync(const Napi::CallbackInfo& info) {
  const FitsInput in = parseArgs(info);
  fits::FitsImage image;
  std::string message;
  fits::FitsStatus status;
  try {
    status = fits::readFitsImage(in.data, in.size, in.maxPixels, image, message);
  } catch (const std::exception& e) {
    throw makeError(info.Env(), "E_NATIVE", e.what());
  }
  if (status != fits::FitsStatus::Ok) throw makeError(info.Env(), statusCode(status), message);
  return toResult(info.Env(), image);
}

}  // namespace

void registerFits(Napi::Env env, Napi::Object exports) {
  exports.Set("fitsRead", Napi::Function::New(env, FitsRead, "fitsRead"));
  exports.Set("fitsReadSync", Napi::Function::New(env, FitsReadSync, "fitsReadSync"));
}

}  // namespace asterism::binding
