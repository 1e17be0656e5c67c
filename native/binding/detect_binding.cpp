// detect(pixels: Float32Array, width, height, options, cancel?: Int32Array) -> Promise<result>
// detectSync(...) -> result
//
// Ownership: `pixels` and `cancel` are borrowed from JavaScript, not copied. The async worker
// holds persistent references to both typed arrays so they cannot be collected while the pool
// thread reads them; the caller must not write to `pixels` until the promise settles. The worker
// owns the result vectors and copies them into new Float64Arrays on the main thread.
#include <atomic>
#include <string>
#include <vector>

#include "../detect/detect.h"
#include "common.h"

namespace asterism::binding {

namespace {

struct DetectInput {
  const float* pixels = nullptr;
  int width = 0;
  int height = 0;
  DetectParams params;
  int32_t* cancel = nullptr;
};

DetectInput parseArgs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 4 || !info[0].IsTypedArray() || !info[1].IsNumber() || !info[2].IsNumber() ||
      !info[3].IsObject()) {
    throwInvalid(env, "detect(pixels: Float32Array, width, height, options) expected");
  }
  Napi::TypedArray ta = info[0].As<Napi::TypedArray>();
  if (ta.TypedArrayType() != napi_float32_array) throwInvalid(env, "pixels must be a Float32Array");
  DetectInput in;
  const double w = info[1].As<Napi::Number>().DoubleValue();
  const double h = info[2].As<Napi::Number>().DoubleValue();
  if (!(w >= 1 && h >= 1 && w <= 1e6 && h <= 1e6) || w != static_cast<int>(w) ||
      h != static_cast<int>(h)) {
    throwInvalid(env, "width and height must be positive integers");
  }
  in.width = static_cast<int>(w);
  in.height = static_cast<int>(h);
  if (ta.ElementLength() != static_cast<size_t>(in.width) * static_cast<size_t>(in.height)) {
    throwInvalid(env, "pixels.length must equal width * height");
  }
  in.pixels = ta.As<Napi::Float32Array>().Data();
  Napi::Object o = info[3].As<Napi::Object>();
  DetectParams& p = in.params;
  p.backgroundBox = static_cast<int>(numberOption(o, "backgroundBox", p.backgroundBox));
  p.psfSigma = numberOption(o, "psfSigma", p.psfSigma);
  p.threshold = numberOption(o, "threshold", p.threshold);
  p.saddle = numberOption(o, "saddle", p.saddle);
  p.hotPixelRatio = numberOption(o, "hotPixelRatio", p.hotPixelRatio);
  p.contrast = numberOption(o, "contrast", p.contrast);
  p.apertureRadius = numberOption(o, "apertureRadius", p.apertureRadius);
  p.maxStars = static_cast<int>(numberOption(o, "maxStars", p.maxStars));
  if (info.Length() > 4 && info[4].IsTypedArray()) {
    Napi::TypedArray c = info[4].As<Napi::TypedArray>();
    if (c.TypedArrayType() != napi_int32_array || c.ElementLength() < 1) {
      throwInvalid(env, "cancel must be an Int32Array of length 1");
    }
    in.cancel = c.As<Napi::Int32Array>().Data();
  }
  return in;
}

struct DetectOutput {
  DetectStatus status = DetectStatus::Ok;
  std::vector<Star> stars;
  DetectStats stats;
};

void run(const DetectInput& in, DetectOutput& out) {
  int32_t* flag = in.cancel;
  CancelCheck check;
  if (flag != nullptr) {
    // The flag is written by the JS thread while this runs on a pool thread.
    check = [flag]() { return std::atomic_ref<int32_t>(*flag).load(std::memory_order_relaxed) != 0; };
  }
  out.status = detectStars(in.pixels, in.width, in.height, in.params, out.stars, out.stats, check);
}

Napi::Value toResult(Napi::Env env, const DetectOutput& out) {
  const size_t n = out.stars.size();
  Napi::Float64Array x = Napi::Float64Array::New(env, n);
  Napi::Float64Array y = Napi::Float64Array::New(env, n);
  Napi::Float64Array flux = Napi::Float64Array::New(env, n);
  Napi::Float64Array peak = Napi::Float64Array::New(env, n);
  Napi::Float64Array background = Napi::Float64Array::New(env, n);
  Napi::Float64Array snr = Napi::Float64Array::New(env, n);
  for (size_t i = 0; i < n; ++i) {
    const Star& s = out.stars[i];
    x[i] = s.x;
    y[i] = s.y;
    flux[i] = s.flux;
    peak[i] = s.peak;
    background[i] = s.background;
    snr[i] = s.snr;
  }
  Napi::Object stats = Napi::Object::New(env);
  stats.Set("noise", out.stats.noise);
  stats.Set("smoothedNoise", out.stats.smoothedNoise);
  stats.Set("backgroundMedian", out.stats.backgroundMedian);
  stats.Set("maskedPixels", static_cast<double>(out.stats.maskedPixels));
  stats.Set("significantPixels", static_cast<double>(out.stats.significantPixels));
  stats.Set("peaks", static_cast<double>(out.stats.peaks));
  stats.Set("hotPixels", static_cast<double>(out.stats.hotPixels));
  stats.Set("lowContrast", static_cast<double>(out.stats.lowContrast));
  Napi::Object result = Napi::Object::New(env);
  result.Set("x", x);
  result.Set("y", y);
  result.Set("flux", flux);
  result.Set("peak", peak);
  result.Set("background", background);
  result.Set("snr", snr);
  result.Set("stats", stats);
  return result;
}

Napi::Error statusError(Napi::Env env, DetectStatus status) {
  const char* code = status == DetectStatus::EmptyImage  ? "E_IMAGE_EMPTY"
                     : status == DetectStatus::Cancelled ? "E_ABORTED"
                                                         : "E_INVALID_ARGUMENT";
  return makeError(env, code, detectStatusMessage(status));
}

class DetectWorker : public Napi::AsyncWorker {
 public:
  DetectWorker(Napi::Env env, const DetectInput& in, Napi::Value pixels, Napi::Value cancel)
      : Napi::AsyncWorker(env, "asterism:detect"), deferred_(Napi::Promise::Deferred::New(env)),
        in_(in) {
    pixelsRef_ = Napi::Persistent(pixels.As<Napi::Object>());
    if (cancel.IsObject()) cancelRef_ = Napi::Persistent(cancel.As<Napi::Object>());
  }
  Napi::Promise promise() { return deferred_.Promise(); }

 protected:
  void Execute() override {
    try {
      run(in_, out_);
    } catch (const std::exception& e) {
      SetError(e.what());
    }
  }
  void OnOK() override {
    Napi::Env env = Env();
    if (out_.status != DetectStatus::Ok) {
      deferred_.Reject(statusError(env, out_.status).Value());
    } else {
      deferred_.Resolve(toResult(env, out_));
    }
  }
  void OnError(const Napi::Error& e) override {
    deferred_.Reject(makeError(Env(), "E_NATIVE", e.Message()).Value());
  }

 private:
  Napi::Promise::Deferred deferred_;
  DetectInput in_;
  DetectOutput out_;
  Napi::ObjectReference pixelsRef_;
  Napi::ObjectReference cancelRef_;
};

Napi::Value Detect(const Napi::CallbackInfo& info) {
  const DetectInput in = parseArgs(info);
  auto* worker = new DetectWorker(info.Env(), in, info[0], info.Length() > 4 ? info[4] : info.Env().Undefined());
  Napi::Promise promise = worker->promise();
  worker->Queue();
  return promise;
}

Napi::Value DetectSync(const Napi::CallbackInfo& info) {
  const DetectInput in = parseArgs(info);
  DetectOutput out;
  try {
    run(in, out);
  } catch (const std::exception& e) {
    throw makeError(info.Env(), "E_NATIVE", e.what());
  }
  if (out.status != DetectStatus::Ok) throw statusError(info.Env(), out.status);
  return toResult(info.Env(), out);
}

}  // namespace

void registerDetect(Napi::Env env, Napi::Object exports) {
  exports.Set("detect", Napi::Function::New(env, Detect, "detect"));
  exports.Set("detectSync", Napi::Function::New(env, DetectSync, "detectSync"));
}

}  // namespace asterism::binding
