// fitsRead(bytes: Uint8Array, maxPixels) -> Promise<result>;  fitsReadSync(...) -> result
//
// Ownership: `bytes` is borrowed from JavaScript, not copied; the async worker holds a persistent
// reference to it so the pool thread can read it, and the caller must not modify it until the
// promise settles. The decoded pixels are owned by the worker (std::vector) and copied once into
// a new Float32Array/Float64Array on the main thread.
#include <cstring>
#include <string>

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
  if (!(maxPixels >= 1 && maxPixels <= 9e15)) throwInvalid(env, "maxPixels must be a positive number");
  FitsInput in;
  in.data = ta.As<Napi::Uint8Array>().Data();
  in.size = ta.ElementLength();
  in.maxPixels = static_cast<int64_t>(maxPixels);
  return in;
}

const char* statusCode(fits::FitsStatus s) {
  switch (s) {
    case fits::FitsStatus::NotFits: return "E_IMAGE_FORMAT";
    case fits::FitsStatus::Truncated: return "E_IMAGE_TRUNCATED";
    case fits::FitsStatus::BadHeader: return "E_FITS_HEADER";
    case fits::FitsStatus::NoImage: return "E_IMAGE_EMPTY";
    case fits::FitsStatus::TooLarge: return "E_IMAGE_TOO_LARGE";
    case fits::FitsStatus::Ok: break;
  }
  return "E_NATIVE";
}

Napi::Value toResult(Napi::Env env, const fits::FitsImage& image) {
  Napi::Object result = Napi::Object::New(env);
  result.Set("width", image.width);
  result.Set("height", image.height);
  result.Set("bitpix", image.bitpix);
  result.Set("hdu", image.hdu);
  if (image.bitpix == -64) {
    Napi::Float64Array px = Napi::Float64Array::New(env, image.pixels64.size());
    std::memcpy(px.Data(), image.pixels64.data(), image.pixels64.size() * sizeof(double));
    result.Set("pixels", px);
  } else {
    Napi::Float32Array px = Napi::Float32Array::New(env, image.pixels32.size());
    std::memcpy(px.Data(), image.pixels32.data(), image.pixels32.size() * sizeof(float));
    result.Set("pixels", px);
  }
  Napi::Array cards = Napi::Array::New(env, image.cards.size());
  for (size_t i = 0; i < image.cards.size(); ++i) {
    Napi::Array card = Napi::Array::New(env, 3);
    card.Set(0u, image.cards[i].keyword);
    card.Set(1u, image.cards[i].value);
    card.Set(2u, image.cards[i].comment);
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
    } catch (const std::bad_alloc&) {
      status_ = fits::FitsStatus::TooLarge;
      message_ = "not enough memory to decode the FITS image";
    } catch (const std::exception& e) {
      SetError(e.what());
    }
  }
  void OnOK() override {
    Napi::Env env = Env();
    if (status_ != fits::FitsStatus::Ok) {
      deferred_.Reject(makeError(env, statusCode(status_), message_).Value());
    } else {
      deferred_.Resolve(toResult(env, image_));
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
  } catch (const std::bad_alloc&) {
    throw makeError(info.Env(), "E_IMAGE_TOO_LARGE", "not enough memory to decode the FITS image");
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
