// N-API bindings of the collective communication layer (cuda/comm/): MPI and NCCL, both loaded
// at run time. lib/dist/ is their only caller; docs/distributed.md describes the protocol.
#include "binding.h"
#include "comm/comm.h"

namespace exo_binding {
namespace {

double timeout_of(const Args& a) {
  double t = a.num("timeoutS");
  if (!(t > 0)) a.fail("timeoutS", "must be a number of seconds > 0");
  return t;
}

std::string text_of(const Args& a, const char* name) {
  if (!a.has(name)) return "";
  Napi::Value v = a.get(name);
  if (!v.IsString()) a.fail(name, "must be a string");
  return v.As<Napi::String>().Utf8Value();
}

Napi::Float64Array f64_of(const Args& a, const char* name) {
  Napi::Value v = a.get(name);
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float64_array) a.fail(name, "must be a Float64Array");
  return v.As<Napi::Float64Array>();
}

// mpiInit({ library? }) -> { rank, size, implementation, library, version }
Napi::Value MpiInit(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    Args a(info, "mpiInit");
    exo::comm::MpiInfo m = exo::comm::mpi_init(text_of(a, "library"));
    Napi::Object o = Napi::Object::New(info.Env());
    o.Set("rank", m.rank);
    o.Set("size", m.size);
    o.Set("implementation", m.implementation);
    o.Set("library", m.library);
    o.Set("version", m.version);
    return o;
  });
}

// mpiAllgather({ data: Float64Array, timeoutS }) -> Float64Array of size·n, rank r's at r·n
Napi::Value MpiAllgather(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    Args a(info, "mpiAllgather");
    auto data = f64_of(a, "data");
    double t = timeout_of(a);
    int size = exo::comm::mpi_info().size;
    auto out = Napi::Float64Array::New(info.Env(), data.ElementLength() * (size_t)size);
    exo::comm::mpi_allgather_f64(data.Data(), data.ElementLength(), out.Data(), t);
    return out;
  });
}

// mpiWeightedSum({ x, n, weights: Float64Array(size), ordered, bucket, timeoutS }) -> bytes received
Napi::Value MpiWeightedSum(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    Args a(info, "mpiWeightedSum");
    size_t n = a.count("n");
    View x = a.view("x", n);
    auto w = f64_of(a, "weights");
    const int size = exo::comm::mpi_info().size;
    if (w.ElementLength() != (size_t)size)
      a.fail("weights", "must hold one weight per rank (" + std::to_string(size) + "), received " + std::to_string(w.ElementLength()));
    size_t bucket = a.count("bucket");
    if (bucket == 0) a.fail("bucket", "must be > 0");
    auto mode = a.flag("ordered") ? exo::comm::ReduceMode::Ordered : exo::comm::ReduceMode::Allreduce;
    double bytes = exo::comm::mpi_weighted_sum(x.p, x.dev, n, w.Data(), mode, bucket, timeout_of(a));
    return Napi::Number::New(info.Env(), bytes);
  });
}

// mpiFinalize({})
Napi::Value MpiFinalize(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    exo::comm::nccl_finalize();
    exo::comm::mpi_finalize();
    return info.Env().Undefined();
  });
}

// ncclInit({ index, library?, timeoutS }) -> { version, library }
Napi::Value NcclInit(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    Args a(info, "ncclInit");
    exo::comm::NcclInfo n = exo::comm::nccl_init(a.dim("index"), text_of(a, "library"), timeout_of(a));
    Napi::Object o = Napi::Object::New(info.Env());
    o.Set("version", n.version);
    o.Set("library", n.library);
    return o;
  });
}

// ncclAllreduce({ x, n, timeoutS }): x summed over ranks in place, x on the rank's GPU
Napi::Value NcclAllreduce(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    Args a(info, "ncclAllreduce");
    size_t n = a.count("n");
    View x = a.view("x", n);
    if (x.dev.cpu()) a.fail("x", "must be on a CUDA device (NCCL sums GPU memory; CPU tensors go through mpiWeightedSum)");
    if (n) exo::comm::nccl_allreduce_sum(x.p, n, timeout_of(a));
    return info.Env().Undefined();
  });
}

}  // namespace

void register_comm_bindings(Napi::Env env, Napi::Object exports) {
  exports.Set("mpiInit", Napi::Function::New(env, MpiInit, "mpiInit"));
  exports.Set("mpiAllgather", Napi::Function::New(env, MpiAllgather, "mpiAllgather"));
  exports.Set("mpiWeightedSum", Napi::Function::New(env, MpiWeightedSum, "mpiWeightedSum"));
  exports.Set("mpiFinalize", Napi::Function::New(env, MpiFinalize, "mpiFinalize"));
  exports.Set("ncclInit", Napi::Function::New(env, NcclInit, "ncclInit"));
  exports.Set("ncclAllreduce", Napi::Function::New(env, NcclAllreduce, "ncclAllreduce"));
}

}  // namespace exo_binding
