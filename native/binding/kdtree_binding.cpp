// kdtreeBuild(points: Float64Array, dim, leafSize) -> {points, ids, bounds, levels}
// kdtreeBuildAsync(points, dim, leafSize) -> Promise<{points, ids, bounds, levels}>
// kdtreeRangeSearch(tree, query: Float64Array, radius) -> Uint32Array
// kdtreeRangeSearchBatch(tree, queries: Float64Array, radius) -> {ids: Uint32Array, offsets: Uint32Array}
//
// `tree` is a plain object {dim, count, levels, points: Float64Array, ids: Uint32Array,
// bounds: Float64Array} (see native/kdtree/kdtree.h for the layout).
//
// Ownership: every typed array passed in is borrowed from JavaScript, never copied. The searches
// are synchronous and read the tree and the queries only during the call. The build allocates its
// three output arrays in the JavaScript heap on the main thread and the core writes into them in
// place; kdtreeBuildAsync holds persistent references to the input and the outputs until the
// promise settles, so none is collected while a pool thread uses it, and the caller must not write
// to `points` until then. The outputs belong to JavaScript once returned or resolved.
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "../kdtree/kdtree.h"
#include "common.h"

namespace asterism::binding {

namespace {

using kdtree::KdStatus;

// A number argument that must be an integer in [min, max].
size_t integerArg(Napi::Env env, const Napi::Value& v, const char* name, double min, double max) {
  if (!v.IsNumber()) throwInvalid(env, std::string(name) + " must be a number");
  const double x = v.As<Napi::Number>().DoubleValue();
  if (!(x >= min && x <= max) || x != std::floor(x)) {
    throwInvalid(env, std::string(name) + " must be an integer in [" + std::to_string(static_cast<long long>(min)) +
                          ", " + std::to_string(static_cast<long long>(max)) + "]");
  }
  return static_cast<size_t>(x);
}

Napi::Float64Array float64Arg(Napi::Env env, const Napi::Value& v, const char* name) {
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float64_array) {
    throwInvalid(env, std::string(name) + " must be a Float64Array");
  }
  return v.As<Napi::Float64Array>();
}

double radiusArg(Napi::Env env, const Napi::Value& v) {
  if (!v.IsNumber()) throwInvalid(env, "radius must be a number");
  const double r = v.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(r) || r < 0) throwInvalid(env, "radius must be a finite number >= 0");
  return r;
}

void requireFinite(Napi::Env env, const double* values, size_t n, const char* name) {
  for (size_t i = 0; i < n; ++i) {
    if (!std::isfinite(values[i])) throwInvalid(env, std::string(name) + " must be finite (no NaN or Infinity)");
  }
}

// Checks a tree object and borrows its arrays. The checks make every read the search does fall
// inside the arrays: sizes must match dim, count and levels exactly.
kdtree::TreeView treeArg(Napi::Env env, const Napi::Value& v) {
  if (!v.IsObject() || v.IsTypedArray() || v.IsArray()) {
    throwInvalid(env, "tree must be an object {dim, count, levels, points, ids, bounds}");
  }
  Napi::Object o = v.As<Napi::Object>();
  kdtree::TreeView t;
  t.dim = static_cast<int>(integerArg(env, o.Get("dim"), "tree.dim", 1, kdtree::kMaxDim));
  t.count = integerArg(env, o.Get("count"), "tree.count", 0, static_cast<double>(kdtree::kMaxPoints));
  t.levels = static_cast<int>(integerArg(env, o.Get("levels"), "tree.levels", 1, kdtree::kMaxLevels));
  Napi::Float64Array points = float64Arg(env, o.Get("points"), "tree.points");
  Napi::Value idsValue = o.Get("ids");
  if (!idsValue.IsTypedArray() || idsValue.As<Napi::TypedArray>().TypedArrayType() != napi_uint32_array) {
    throwInvalid(env, "tree.ids must be a Uint32Array");
  }
  Napi::Uint32Array ids = idsValue.As<Napi::Uint32Array>();
  Napi::Float64Array bounds = float64Arg(env, o.Get("bounds"), "tree.bounds");
  const size_t dim = static_cast<size_t>(t.dim);
  if (points.ElementLength() != t.count * dim) throwInvalid(env, "tree.points.length must equal count * dim");
  if (ids.ElementLength() != t.count) throwInvalid(env, "tree.ids.length must equal count");
  if (bounds.ElementLength() != kdtree::nodeCount(t.levels) * 2 * dim) {
    throwInvalid(env, "tree.bounds.length must equal (2^levels - 1) * 2 * dim");
  }
  t.points = points.Data();
  t.ids = ids.Data();
  t.bounds = bounds.Data();
  return t;
}

struct BuildInput {
  const double* points = nullptr;
  size_t count = 0;
  int dim = 0;
  int leafSize = 0;
  int levels = 0;
};

BuildInput parseBuildArgs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 3) throwInvalid(env, "kdtreeBuild(points: Float64Array, dim, leafSize) expected");
  Napi::Float64Array points = float64Arg(env, info[0], "points");
  BuildInput in;
  in.dim = static_cast<int>(integerArg(env, info[1], "dim", 1, kdtree::kMaxDim));
  in.leafSize = static_cast<int>(integerArg(env, info[2], "leafSize", 1, 1 << 30));
  if (points.ElementLength() % static_cast<size_t>(in.dim) != 0) {
    throwInvalid(env, "points.length must be a multiple of dim");
  }
  in.count = points.ElementLength() / static_cast<size_t>(in.dim);
  if (in.count > kdtree::kMaxPoints) throwInvalid(env, "a kd-tree holds at most 2^32 - 1 points");
  in.levels = kdtree::levelsFor(in.count, in.leafSize);
  in.points = points.Data();
  return in;
}

// The output arrays, allocated on the main thread; the core fills them.
struct BuildOutput {
  Napi::Float64Array points;
  Napi::Uint32Array ids;
  Napi::Float64Array bounds;
};

BuildOutput allocateOutput(Napi::Env env, const BuildInput& in) {
  const size_t dim = static_cast<size_t>(in.dim);
  return BuildOutput{Napi::Float64Array::New(env, in.count * dim), Napi::Uint32Array::New(env, in.count),
                     Napi::Float64Array::New(env, kdtree::nodeCount(in.levels) * 2 * dim)};
}

KdStatus runBuild(const BuildInput& in, double* points, uint32_t* ids, double* bounds) {
  return kdtree::build(in.points, in.count, in.dim, in.leafSize, points, ids, bounds);
}

Napi::Object buildResult(Napi::Env env, const BuildOutput& out, int levels) {
  Napi::Object result = Napi::Object::New(env);
  result.Set("points", out.points);
  result.Set("ids", out.ids);
  result.Set("bounds", out.bounds);
  result.Set("levels", Napi::Number::New(env, levels));
  return result;
}

Napi::Error buildError(Napi::Env env, KdStatus status) {
  return makeError(env, "E_INVALID_ARGUMENT", kdtree::kdStatusMessage(status));
}

Napi::Value KdtreeBuild(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const BuildInput in = parseBuildArgs(info);
  BuildOutput out = allocateOutput(env, in);
  KdStatus status;
  try {
    status = runBuild(in, out.points.Data(), out.ids.Data(), out.bounds.Data());
  } catch (const std::exception& e) {
    throw makeError(env, "E_NATIVE", e.what());
  }
  if (status != KdStatus::Ok) throw buildError(env, status);
  return buildResult(env, out, in.levels);
}

class BuildWorker : public Napi::AsyncWorker {
 public:
  BuildWorker(Napi::Env env, const BuildInput& in, Napi::Value input)
      : Napi::AsyncWorker(env, "asterism:kdtreeBuild"), deferred_(Napi::Promise::Deferred::New(env)),
        in_(in) {
    BuildOutput out = allocateOutput(env, in);
    inputRef_ = Napi::Persistent(input.As<Napi::Object>());
    pointsRef_ = Napi::Persistent(out.points);
    idsRef_ = Napi::Persistent(out.ids);
    boundsRef_ = Napi::Persistent(out.bounds);
    points_ = out.points.Data();
    ids_ = out.ids.Data();
    bounds_ = out.bounds.Data();
  }
  Napi::Promise promise() { return deferred_.Promise(); }

 protected:
  void Execute() override {
    try {
      status_ = runBuild(in_, points_, ids_, bounds_);
    } catch (const std::exception& e) {
      SetError(e.what());
    }
  }
  void OnOK() override {
    Napi::Env env = Env();
    if (status_ != KdStatus::Ok) {
      deferred_.Reject(buildError(env, status_).Value());
      return;
    }
    const BuildOutput out{pointsRef_.Value(), idsRef_.Value(), boundsRef_.Value()};
    deferred_.Resolve(buildResult(env, out, in_.levels));
  }
  void OnError(const Napi::Error& e) override {
    deferred_.Reject(makeError(Env(), "E_NATIVE", e.Message()).Value());
  }

 private:
  Napi::Promise::Deferred deferred_;
  BuildInput in_;
  KdStatus status_ = KdStatus::Ok;
  Napi::ObjectReference inputRef_;
  Napi::Reference<Napi::Float64Array> pointsRef_;
  Napi::Reference<Napi::Uint32Array> idsRef_;
  Napi::Reference<Napi::Float64Array> boundsRef_;
  double* points_ = nullptr;
  uint32_t* ids_ = nullptr;
  double* bounds_ = nullptr;
};

Napi::Value KdtreeBuildAsync(const Napi::CallbackInfo& info) {
  const BuildInput in = parseBuildArgs(info);
  auto* worker = new BuildWorker(info.Env(), in, info[0]);
  Napi::Promise promise = worker->promise();
  worker->Queue();
  return promise;
}

Napi::Uint32Array toUint32Array(Napi::Env env, const std::vector<uint32_t>& values) {
  Napi::Uint32Array out = Napi::Uint32Array::New(env, values.size());
  if (!values.empty()) std::memcpy(out.Data(), values.data(), values.size() * sizeof(uint32_t));
  return out;
}

Napi::Value KdtreeRangeSearch(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 3) throwInvalid(env, "kdtreeRangeSearch(tree, query: Float64Array, radius) expected");
  const kdtree::TreeView tree = treeArg(env, info[0]);
  Napi::Float64Array query = float64Arg(env, info[1], "query");
  if (query.ElementLength() != static_cast<size_t>(tree.dim)) throwInvalid(env, "query.length must equal tree.dim");
  requireFinite(env, query.Data(), query.ElementLength(), "query");
  const double radius = radiusArg(env, info[2]);
  // Reused between calls on this thread: a search is microseconds, an allocation is not free.
  thread_local std::vector<uint32_t> found;
  found.clear();
  try {
    kdtree::rangeSearch(tree, query.Data(), radius, found);
  } catch (const std::exception& e) {
    throw makeError(env, "E_NATIVE", e.what());
  }
  return toUint32Array(env, found);
}

Napi::Value KdtreeRangeSearchBatch(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 3) throwInvalid(env, "kdtreeRangeSearchBatch(tree, queries: Float64Array, radius) expected");
  const kdtree::TreeView tree = treeArg(env, info[0]);
  Napi::Float64Array queries = float64Arg(env, info[1], "queries");
  if (queries.ElementLength() % static_cast<size_t>(tree.dim) != 0) {
    throwInvalid(env, "queries.length must be a multiple of tree.dim");
  }
  const size_t queryCount = queries.ElementLength() / static_cast<size_t>(tree.dim);
  if (queryCount >= kdtree::kMaxPoints) throwInvalid(env, "too many queries");
  requireFinite(env, queries.Data(), queries.ElementLength(), "queries");
  const double radius = radiusArg(env, info[2]);
  std::vector<uint32_t> ids;
  std::vector<uint32_t> offsets;
  KdStatus status;
  try {
    status = kdtree::rangeSearchBatch(tree, queries.Data(), queryCount, radius, ids, offsets);
  } catch (const std::exception& e) {
    throw makeError(env, "E_NATIVE", e.what());
  }
  if (status != KdStatus::Ok) throw makeError(env, "E_INVALID_ARGUMENT", kdtree::kdStatusMessage(status));
  Napi::Object result = Napi::Object::New(env);
  result.Set("ids", toUint32Array(env, ids));
  result.Set("offsets", toUint32Array(env, offsets));
  return result;
}

}  // namespace

void registerKdtree(Napi::Env env, Napi::Object exports) {
  exports.Set("kdtreeBuild", Napi::Function::New(env, KdtreeBuild, "kdtreeBuild"));
  exports.Set("kdtreeBuildAsync", Napi::Function::New(env, KdtreeBuildAsync, "kdtreeBuildAsync"));
  exports.Set("kdtreeRangeSearch", Napi::Function::New(env, KdtreeRangeSearch, "kdtreeRangeSearch"));
  exports.Set("kdtreeRangeSearchBatch", Napi::Function::New(env, KdtreeRangeSearchBatch, "kdtreeRangeSearchBatch"));
}

}  // namespace asterism::binding
