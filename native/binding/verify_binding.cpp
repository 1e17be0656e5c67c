// verifyHypothesis(fieldXY: Float64Array, indexXY: Float64Array, indexSigma2: Float64Array,
//                  skipField: Uint32Array, skipIndex: Uint32Array, width, height,
//                  distractorFraction, maxFieldStars, logOddsBail, logOddsStop,
//                  summary: Float64Array) -> Int32Array fieldMatch
//
// Synchronous on purpose: one verification takes microseconds and a solve runs thousands, so an
// AsyncWorker per call would cost more than the work. Arguments are positional and the six
// scalar results go into `summary` as [logOdds, bestLogOdds, bestAt, evaluated, matched,
// conflicts], so a call creates one JavaScript object (the returned array); maxFieldStars is an
// integer ≥ 0 or +Infinity. See native/verify/verify.h for the algorithm.
//
// Ownership: every input typed array is borrowed from JavaScript for the duration of the call,
// never copied or kept; `summary` is borrowed and written in place. The returned Int32Array is
// new and belongs to JavaScript. The grid and flag buffers are a thread_local workspace reused
// between calls (a worker thread gets its own).
#include <cmath>
#include <string>

#include "../verify/verify.h"
#include "common.h"

namespace asterism::binding {

namespace {

// A typed array argument of the given type: its data and element count.
template <typename T>
const T* typedArg(Napi::Env env, const Napi::Value& v, napi_typedarray_type type, const char* message, size_t& length) {
  napi_typedarray_type actual;
  void* data = nullptr;
  if (!v.IsTypedArray() ||
      napi_get_typedarray_info(env, v, &actual, &length, &data, nullptr, nullptr) != napi_ok || actual != type) {
    throwInvalid(env, message);
  }
  return static_cast<const T*>(data);
}

double numberArg(Napi::Env env, const Napi::Value& v, const char* name) {
  if (!v.IsNumber()) throwInvalid(env, std::string(name) + " must be a number");
  return v.As<Napi::Number>().DoubleValue();
}

Napi::Value VerifyHypothesis(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 12) {
    throwInvalid(env,
                 "verifyHypothesis(fieldXY, indexXY, indexSigma2, skipField, skipIndex, width, height, "
                 "distractorFraction, maxFieldStars, logOddsBail, logOddsStop, summary) expected");
  }
  verify::VerifyInput in;
  size_t fieldLength = 0, indexLength = 0, sigmaLength = 0, summaryLength = 0;
  in.fieldXY = typedArg<double>(env, info[0], napi_float64_array, "fieldXY must be a Float64Array", fieldLength);
  in.indexXY = typedArg<double>(env, info[1], napi_float64_array, "indexXY must be a Float64Array", indexLength);
  in.indexSigma2 =
      typedArg<double>(env, info[2], napi_float64_array, "indexSigma2 must be a Float64Array", sigmaLength);
  in.skipField = typedArg<uint32_t>(env, info[3], napi_uint32_array, "skipField must be a Uint32Array",
                                    in.skipFieldCount);
  in.skipIndex = typedArg<uint32_t>(env, info[4], napi_uint32_array, "skipIndex must be a Uint32Array",
                                    in.skipIndexCount);
  in.width = numberArg(env, info[5], "width");
  in.height = numberArg(env, info[6], "height");
  in.distractorFraction = numberArg(env, info[7], "distractorFraction");
  const double maxFieldStars = numberArg(env, info[8], "maxFieldStars");
  in.logOddsBail = numberArg(env, info[9], "logOddsBail");
  in.logOddsStop = numberArg(env, info[10], "logOddsStop");
  double* summary = const_cast<double*>(
      typedArg<double>(env, info[11], napi_float64_array, "summary must be a Float64Array", summaryLength));

  if (fieldLength % 2 != 0) throwInvalid(env, "fieldXY.length must be even (x, y per star)");
  if (indexLength % 2 != 0) throwInvalid(env, "indexXY.length must be even (x, y per star)");
  in.fieldCount = fieldLength / 2;
  in.indexCount = indexLength / 2;
  if (sigmaLength != in.indexCount) throwInvalid(env, "indexSigma2.length must equal indexXY.length / 2");
  if (summaryLength < 6) throwInvalid(env, "summary must hold 6 values");
  if (!(maxFieldStars >= 0) || (std::isfinite(maxFieldStars) && maxFieldStars != std::floor(maxFieldStars))) {
    throwInvalid(env, "maxFieldStars must be an integer >= 0 or Infinity");
  }
  // Anything at or above the field's size means "all of them".
  in.maxFieldStars = maxFieldStars >= static_cast<double>(in.fieldCount) ? in.fieldCount
                                                                          : static_cast<size_t>(maxFieldStars);

  Napi::Int32Array fieldMatch = Napi::Int32Array::New(env, in.fieldCount);
  thread_local verify::VerifyWorkspace workspace;
  verify::VerifyResult result;
  verify::VerifyStatus status;
  try {
    status = verify::verifyHypothesis(in, workspace, result, fieldMatch.Data());
  } catch (const std::exception& e) {
    throw makeError(env, "E_NATIVE", e.what());
  }
  if (status != verify::VerifyStatus::Ok) throwInvalid(env, verify::verifyStatusMessage(status));
  summary[0] = result.logOdds;
  summary[1] = result.bestLogOdds;
  summary[2] = static_cast<double>(result.bestAt);
  summary[3] = static_cast<double>(result.evaluated);
  summary[4] = static_cast<double>(result.matched);
  summary[5] = static_cast<double>(result.conflicts);
  return fieldMatch;
}

}  // namespace

void registerVerify(Napi::Env env, Napi::Object exports) {
  exports.Set("verifyHypothesis", Napi::Function::New(env, VerifyHypothesis, "verifyHypothesis"));
}

}  // namespace asterism::binding
