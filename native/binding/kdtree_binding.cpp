// kdtreeBuild(points: Float64Array, dim, leafSize) -> {points, ids, bounds, levels}
// kdtreeBuildAsync(points, dim, leafSize) -> Promise<{points, ids, bounds, levels}>
// kdtreeOpen(tree) -> handle (an External)
// kdtreeRangeSearch(treeOrHandle, query: Float64Array, radius) -> Uint32Array
// kdtreeRangeSearchBatch(treeOrHandle, queries: Float64Array, radius) -> {ids, offsets}
// kdtreeRangeSearchBatchAsync(treeOrHandle, queries, radius, threads?) -> Promise<{ids, offsets}>
//
// `tree` is a plain object {dim, count, levels, points, bounds, ids?, quantisation?} with points
// and bounds both Float64Array, Uint32Array or Uint16Array, ids a Uint32Array or absent, and
// quantisation {offset: Float64Array(dim), scale} present exactly for integer trees (see
// native/kdtree/kdtree.h for the layout). kdtreeOpen checks a tree once and returns a handle
// that later calls accept in its place; each call then only re-checks, in O(1), that the
// arrays still have the data pointer and length they had when opened (a detached or resized
// ArrayBuffer fails that check with E_INVALID_ARGUMENT instead of being read).
//
// Ownership: every typed array passed in is borrowed from JavaScript, never copied. A handle
// holds strong references to the tree's arrays until it is garbage-collected. The synchronous
// searches read the tree and the queries only during the call. kdtreeRangeSearchBatchAsync
// copies the queries, holds a reference to the handle (so to the tree's arrays) until the
// promise settles, and reads the tree from pool threads meanwhile: the caller must not detach
// the tree's buffers until then (lib/skyindex/kdtree.ts marks them untransferable). The build
// allocates its three output arrays in the JavaScript heap on the main thread and the core
// writes into them in place; kdtreeBuildAsync holds persistent references to the input and the
// outputs until the promise settles, so none is collected while a pool thread uses it, and the
// caller must not write to `points` until then. Outputs belong to JavaScript once returned.
#include <cmath>
#include <cstring>
#include <algorithm>
#include <memory>
#include <string>
#include <thread>
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

// A typed array as napi reports it: the element type, length and first element.
struct ArrayInfo {
  napi_typedarray_type type = napi_uint8_array;
  size_t length = 0;
  const void* data = nullptr;
};

bool typedArrayInfo(Napi::Env env, napi_value value, ArrayInfo& info) {
  bool isTypedArray = false;
  if (napi_is_typedarray(env, value, &isTypedArray) != napi_ok || !isTypedArray) return false;
  void* data = nullptr;
  if (napi_get_typedarray_info(env, value, &info.type, &info.length, &data, nullptr, nullptr) != napi_ok) {
    return false;
  }
  info.data = data;
  return true;
}

// One of the tree's arrays, held by a handle: the reference keeps it alive, and the data
// pointer and length it had when checked tell whether it has been detached or resized since.
struct HeldArray {
  Napi::Reference<Napi::Value> ref;
  const void* data = nullptr;
  size_t length = 0;

  void hold(Napi::Value value, const ArrayInfo& info) {
    ref = Napi::Reference<Napi::Value>::New(value, 1);
    data = info.data;
    length = info.length;
  }
  // Two napi calls: the referenced value is known to be a typed array (a value never changes
  // type); napi_get_typedarray_info fails on anything else, which also counts as changed.
  bool unchanged(Napi::Env env) const {
    if (ref.IsEmpty()) return true;
    napi_value value = nullptr;
    if (napi_get_reference_value(env, ref, &value) != napi_ok || value == nullptr) return false;
    napi_typedarray_type type;
    size_t nowLength = 0;
    void* nowData = nullptr;
    return napi_get_typedarray_info(env, value, &type, &nowLength, &nowData, nullptr, nullptr) == napi_ok &&
           nowData == data && nowLength == length;
  }
};

// A checked tree: the view the core searches, and (in a handle) references to its arrays.
struct OpenTree {
  kdtree::TreeView view;
  HeldArray points;
  HeldArray bounds;
  HeldArray ids;
  HeldArray offset;

  void requireUnchanged(Napi::Env env) const {
    if (!points.unchanged(env) || !bounds.unchanged(env) || !ids.unchanged(env) || !offset.unchanged(env)) {
      throwInvalid(env, "the kd-tree's arrays were detached or resized after the tree was opened");
    }
  }
};

// Marks handles made by kdtreeOpen, so that no other External is taken for one.
constexpr napi_type_tag kOpenTreeTag = {0x6b64747265656f70ULL, 0x617374657269736dULL};

const char* pointTypeName(napi_typedarray_type type) {
  switch (type) {
    case napi_float64_array: return "Float64Array";
    case napi_uint32_array: return "Uint32Array";
    case napi_uint16_array: return "Uint16Array";
    default: return "?";
  }
}

// Checks a tree object and fills `out`: the view and, when `hold` is set, references to the
// arrays. The checks make every read the search does fall inside the arrays: sizes must match
// dim, count and levels exactly, and an integer tree must carry a usable quantisation.
void treeArg(Napi::Env env, const Napi::Value& v, OpenTree& out, bool hold) {
  if (!v.IsObject() || v.IsTypedArray() || v.IsArray()) {
    throwInvalid(env, "tree must be an object {dim, count, levels, points, bounds, ids?, quantisation?}");
  }
  Napi::Object o = v.As<Napi::Object>();
  kdtree::TreeView& t = out.view;
  t.dim = static_cast<int>(integerArg(env, o.Get("dim"), "tree.dim", 1, kdtree::kMaxDim));
  t.count = integerArg(env, o.Get("count"), "tree.count", 0, static_cast<double>(kdtree::kMaxPoints));
  t.levels = static_cast<int>(integerArg(env, o.Get("levels"), "tree.levels", 1, kdtree::kMaxLevels));
  const size_t dim = static_cast<size_t>(t.dim);

  Napi::Value pointsValue = o.Get("points");
  ArrayInfo points;
  if (!typedArrayInfo(env, pointsValue, points) ||
      (points.type != napi_float64_array && points.type != napi_uint32_array && points.type != napi_uint16_array)) {
    throwInvalid(env, "tree.points must be a Float64Array, Uint32Array or Uint16Array");
  }
  if (points.length != t.count * dim) throwInvalid(env, "tree.points.length must equal count * dim");
  t.type = points.type == napi_float64_array ? kdtree::PointType::Float64
           : points.type == napi_uint32_array ? kdtree::PointType::Uint32
                                              : kdtree::PointType::Uint16;

  Napi::Value boundsValue = o.Get("bounds");
  ArrayInfo bounds;
  if (!typedArrayInfo(env, boundsValue, bounds) || bounds.type != points.type) {
    throwInvalid(env, std::string("tree.bounds must be a ") + pointTypeName(points.type) + " like tree.points");
  }
  if (bounds.length != kdtree::nodeCount(t.levels) * 2 * dim) {
    throwInvalid(env, "tree.bounds.length must equal (2^levels - 1) * 2 * dim");
  }

  Napi::Value idsValue = o.Get("ids");
  ArrayInfo ids;
  const bool hasIds = !idsValue.IsUndefined() && !idsValue.IsNull();
  if (hasIds) {
    if (!typedArrayInfo(env, idsValue, ids) || ids.type != napi_uint32_array) {
      throwInvalid(env, "tree.ids must be a Uint32Array or absent");
    }
    if (ids.length != t.count) throwInvalid(env, "tree.ids.length must equal count");
  }

  Napi::Value quantisationValue = o.Get("quantisation");
  const bool quantised = !quantisationValue.IsUndefined() && !quantisationValue.IsNull();
  Napi::Value offsetValue;
  ArrayInfo offset;
  if (t.type == kdtree::PointType::Float64) {
    if (quantised) throwInvalid(env, "a Float64Array tree must have no quantisation");
    t.offset = nullptr;
    t.scale = 1.0;
  } else {
    if (!quantised || !quantisationValue.IsObject()) {
      throwInvalid(env, "a tree with integer points needs quantisation {offset: Float64Array, scale}");
    }
    Napi::Object q = quantisationValue.As<Napi::Object>();
    offsetValue = q.Get("offset");
    if (!typedArrayInfo(env, offsetValue, offset) || offset.type != napi_float64_array || offset.length != dim) {
      throwInvalid(env, "tree.quantisation.offset must be a Float64Array of dim values");
    }
    requireFinite(env, static_cast<const double*>(offset.data), dim, "tree.quantisation.offset");
    Napi::Value scaleValue = q.Get("scale");
    if (!scaleValue.IsNumber()) throwInvalid(env, "tree.quantisation.scale must be a number");
    t.scale = scaleValue.As<Napi::Number>().DoubleValue();
    if (!std::isfinite(t.scale) || !(t.scale > 0)) throwInvalid(env, "tree.quantisation.scale must be finite and > 0");
    t.offset = static_cast<const double*>(offset.data);
  }
  t.points = points.data;
  t.bounds = bounds.data;
  t.ids = hasIds ? static_cast<const uint32_t*>(ids.data) : nullptr;
  if (hold) {
    out.points.hold(pointsValue, points);
    out.bounds.hold(boundsValue, bounds);
    if (hasIds) out.ids.hold(idsValue, ids);
    if (t.type != kdtree::PointType::Float64) out.offset.hold(offsetValue, offset);
  }
}

// The tree a search reads: a handle from kdtreeOpen (re-checked in O(1)) or a tree object
// (checked in full into `scratch`, borrowed for this call only).
const OpenTree& treeOrHandleArg(Napi::Env env, const Napi::Value& v, OpenTree& scratch) {
  if (v.IsExternal()) {
    Napi::External<OpenTree> handle = v.As<Napi::External<OpenTree>>();
    if (!handle.CheckTypeTag(&kOpenTreeTag)) throwInvalid(env, "tree must be a kd-tree or a handle from kdtreeOpen");
    const OpenTree* open = handle.Data();
    open->requireUnchanged(env);
    return *open;
  }
  treeArg(env, v, scratch, false);
  return scratch;
}

Napi::Value KdtreeOpen(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1) throwInvalid(env, "kdtreeOpen(tree) expected");
  auto open = std::make_unique<OpenTree>();
  treeArg(env, info[0], *open, true);
  Napi::External<OpenTree> handle =
      Napi::External<OpenTree>::New(env, open.get(), [](Napi::Env, OpenTree* tree) { delete tree; });
  open.release();
  handle.TypeTag(&kOpenTreeTag);
  return handle;
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
  OpenTree scratch;
  const kdtree::TreeView& tree = treeOrHandleArg(env, info[0], scratch).view;
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

// The queries of a batch: row-major, a multiple of tree.dim, all finite.
Napi::Float64Array batchQueriesArg(Napi::Env env, const Napi::Value& v, const kdtree::TreeView& tree) {
  Napi::Float64Array queries = float64Arg(env, v, "queries");
  if (queries.ElementLength() % static_cast<size_t>(tree.dim) != 0) {
    throwInvalid(env, "queries.length must be a multiple of tree.dim");
  }
  if (queries.ElementLength() / static_cast<size_t>(tree.dim) >= kdtree::kMaxPoints) throwInvalid(env, "too many queries");
  requireFinite(env, queries.Data(), queries.ElementLength(), "queries");
  return queries;
}

Napi::Object batchResult(Napi::Env env, const std::vector<uint32_t>& ids, const std::vector<uint32_t>& offsets) {
  Napi::Object result = Napi::Object::New(env);
  result.Set("ids", toUint32Array(env, ids));
  result.Set("offsets", toUint32Array(env, offsets));
  return result;
}

Napi::Value KdtreeRangeSearchBatch(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 3) throwInvalid(env, "kdtreeRangeSearchBatch(tree, queries: Float64Array, radius) expected");
  OpenTree scratch;
  const kdtree::TreeView& tree = treeOrHandleArg(env, info[0], scratch).view;
  Napi::Float64Array queries = batchQueriesArg(env, info[1], tree);
  const size_t queryCount = queries.ElementLength() / static_cast<size_t>(tree.dim);
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
  return batchResult(env, ids, offsets);
}

// The batch search on the libuv pool, its queries split among `threads` threads.
class BatchWorker : public Napi::AsyncWorker {
 public:
  BatchWorker(Napi::Env env, Napi::External<OpenTree> handle, const Napi::Float64Array& queries, double radius,
              int threads)
      : Napi::AsyncWorker(env, "asterism:kdtreeRangeSearchBatch"), deferred_(Napi::Promise::Deferred::New(env)),
        tree_(handle.Data()->view), queries_(queries.Data(), queries.Data() + queries.ElementLength()),
        radius_(radius), threads_(threads) {
    handleRef_ = Napi::Persistent(handle);
  }
  Napi::Promise promise() { return deferred_.Promise(); }

 protected:
  void Execute() override {
    try {
      status_ = kdtree::rangeSearchBatch(tree_, queries_.data(), queries_.size() / static_cast<size_t>(tree_.dim),
                                         radius_, ids_, offsets_, threads_);
    } catch (const std::exception& e) {
      SetError(e.what());
    }
  }
  void OnOK() override {
    Napi::Env env = Env();
    if (status_ != KdStatus::Ok) {
      deferred_.Reject(makeError(env, "E_INVALID_ARGUMENT", kdtree::kdStatusMessage(status_)).Value());
      return;
    }
    deferred_.Resolve(batchResult(env, ids_, offsets_));
  }
  void OnError(const Napi::Error& e) override {
    deferred_.Reject(makeError(Env(), "E_NATIVE", e.Message()).Value());
  }

 private:
  Napi::Promise::Deferred deferred_;
  Napi::Reference<Napi::External<OpenTree>> handleRef_;
  kdtree::TreeView tree_;
  std::vector<double> queries_;
  double radius_;
  int threads_;
  KdStatus status_ = KdStatus::Ok;
  std::vector<uint32_t> ids_;
  std::vector<uint32_t> offsets_;
};

Napi::Value KdtreeRangeSearchBatchAsync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 3) {
    throwInvalid(env, "kdtreeRangeSearchBatchAsync(tree, queries: Float64Array, radius, threads?) expected");
  }
  // The worker needs a handle to keep the tree's arrays alive: open a plain tree here.
  Napi::Value handleValue = info[0].IsExternal() ? info[0] : KdtreeOpen(info);
  OpenTree unused;
  const kdtree::TreeView& tree = treeOrHandleArg(env, handleValue, unused).view;
  Napi::Float64Array queries = batchQueriesArg(env, info[1], tree);
  const double radius = radiusArg(env, info[2]);
  const int hardware = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  int threads = std::min(2, hardware);
  if (info.Length() > 3 && !info[3].IsUndefined()) threads = static_cast<int>(integerArg(env, info[3], "threads", 1, 64));
  auto* worker = new BatchWorker(env, handleValue.As<Napi::External<OpenTree>>(), queries, radius, threads);
  Napi::Promise promise = worker->promise();
  worker->Queue();
  return promise;
}

}  // namespace

void registerKdtree(Napi::Env env, Napi::Object exports) {
  exports.Set("kdtreeBuild", Napi::Function::New(env, KdtreeBuild, "kdtreeBuild"));
  exports.Set("kdtreeBuildAsync", Napi::Function::New(env, KdtreeBuildAsync, "kdtreeBuildAsync"));
  exports.Set("kdtreeOpen", Napi::Function::New(env, KdtreeOpen, "kdtreeOpen"));
  exports.Set("kdtreeRangeSearch", Napi::Function::New(env, KdtreeRangeSearch, "kdtreeRangeSearch"));
  exports.Set("kdtreeRangeSearchBatch", Napi::Function::New(env, KdtreeRangeSearchBatch, "kdtreeRangeSearchBatch"));
  exports.Set("kdtreeRangeSearchBatchAsync",
              Napi::Function::New(env, KdtreeRangeSearchBatchAsync, "kdtreeRangeSearchBatchAsync"));
}

}  // namespace asterism::binding
