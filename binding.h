// Shared N-API helpers of the binding files: the NativeBuffer class that owns a device
// allocation (binding_buffer.h), named-argument reading with view bounds checks, and C++ -> JavaScript errors.
#pragma once
#include <napi.h>

#include <string>
#include <vector>

#include "binding_buffer.h"
#include "exodus/backend.h"

namespace exo_binding {

// NativeBuffer (the class owning a device allocation) is in binding_buffer.h.

// ---- named arguments ---------------------------------------------------------------------------
// Every binding takes one options object and reads it by name: tensors are any object with
// `handle` (a NativeBuffer) and `offset` (lib/tensor.ts's Tensor is one), numbers and flags are
// plain fields. Each view is checked here against its buffer and the device of the others, so a
// wrong call from JavaScript is an exception naming the op and the field, never a crash.
struct View {
  float* p;
  exo::Device dev;
};

class Args {
 public:
  Args(const Napi::CallbackInfo& info, const char* op) : env_(info.Env()), op_(op) {
    if (info.Length() < 1 || !info[0].IsObject() || info[0].IsArray())
      throw Napi::TypeError::New(env_, op_ + ": expected one options object");
    o_ = info[0].As<Napi::Object>();
  }
  Napi::Env env() const { return env_; }
  const std::string& op() const { return op_; }
  Napi::Value get(const char* name) const { return o_.Get(name); }
  bool has(const char* name) const {
    Napi::Value v = o_.Get(name);
    return !v.IsUndefined() && !v.IsNull();
  }

  [[noreturn]] void fail(const char* name, const std::string& what) const {
    throw Napi::TypeError::New(env_, op_ + ": " + name + " " + what);
  }
  double num(const char* name) const {
    Napi::Value v = o_.Get(name);
    if (!v.IsNumber()) fail(name, "must be a number");
    return v.As<Napi::Number>().DoubleValue();
  }
  double num(const char* name, double fallback) const { return has(name) ? num(name) : fallback; }
  // A non-negative integer (an element count, a size).
  size_t count(const char* name) const {
    double v = num(name);
    if (!(v >= 0) || v > 9.007199254740991e15 || v != (double)(size_t)v)
      throw Napi::RangeError::New(env_, op_ + ": " + name + " must be an integer >= 0, received " + std::to_string(v));
    return (size_t)v;
  }
  int integer(const char* name) const {
    double v = num(name);
    if (!(v >= -2147483648.0 && v <= 2147483647.0) || v != (double)(int)v)
      throw Napi::RangeError::New(env_, op_ + ": " + name + " must be a 32-bit integer, received " + std::to_string(v));
    return (int)v;
  }
  int dim(const char* name) const {
    int v = integer(name);
    if (v < 0) throw Napi::RangeError::New(env_, op_ + ": " + name + " must be >= 0, received " + std::to_string(v));
    return v;
  }
  bool flag(const char* name) const { return o_.Get(name).ToBoolean(); }
  // A code of an enum from codes.h, checked against its Count sentinel.
  template <typename E>
  E code(const char* name) const {
    int v = integer(name);
    if (v < 0 || v >= (int)E::Count)
      throw Napi::RangeError::New(env_, op_ + ": " + name + " must be a code in [0, " + std::to_string((int)E::Count) +
                                            "), received " + std::to_string(v));
    return (E)v;
  }

  // A tensor holding at least `need` elements.
  View view(const char* name, size_t need) const;
  // The same, on the device of `like`.
  View view(const char* name, size_t need, const View& like) const {
    View v = view(name, need);
    same_device(name, like, v);
    return v;
  }
  // An optional tensor (absent, null or undefined give nullptr).
  float* optional(const char* name, size_t need, const View& like) const {
    return has(name) ? view(name, need, like).p : nullptr;
  }
  void same_device(const char* name, const View& a, const View& b) const {
    if (a.dev.type != b.dev.type || a.dev.index != b.dev.index)
      throw Napi::Error::New(env_, op_ + ": " + name + " is on another device than the other operands");
  }

 private:
  Napi::Env env_;
  std::string op_;
  Napi::Object o_;
};

inline View Args::view(const char* name, size_t need) const {
  Napi::Value t = o_.Get(name);
  if (!t.IsObject()) fail(name, "must be a tensor (an object with handle and offset)");
  Napi::Object to = t.As<Napi::Object>();
  Napi::Value h = to.Get("handle");
  if (!NativeBuffer::is(env_, h)) fail(name, "must be a tensor: its handle is not a NativeBuffer");
  exo::Buffer& b = NativeBuffer::Unwrap(h.As<Napi::Object>())->buf();
  if (!b.data) throw Napi::Error::New(env_, op_ + ": " + name + " used after dispose()");
  Napi::Value ov = to.Get("offset");
  if (!ov.IsNumber()) fail(name, "must be a tensor: its offset is not a number");
  double od = ov.As<Napi::Number>().DoubleValue();
  if (!(od >= 0) || od != (double)(size_t)od) fail(name, "has an invalid offset");
  size_t off = (size_t)od;
  if (off > b.size || need > b.size - off)
    throw Napi::RangeError::New(env_, op_ + ": " + name + ": view of " + std::to_string(need) + " elements at offset " +
                                          std::to_string(off) + " exceeds its buffer of " + std::to_string(b.size));
  return View{b.data + off, b.dev};
}

// The backend of device `dev` for an op it must have: asked for a path its backend lacks (a
// CPU speed path on CUDA), the call names the field that chose it, and how to ask first.
inline const exo::Backend& backend_for(const Args& a, exo::Device dev, exo::Op op, const char* field) {
  const exo::Backend& be = exo::on(dev);
  if (!be.supports(op))
    a.fail(field, std::string("takes the ") + exo::op_name(op) + " path, which the " + be.name +
                      " backend does not have: leave it out there (supports('" + exo::op_name(op) + "', device) says where it runs)");
  return be;
}

// Runs body, converting C++ errors into JavaScript exceptions.
template <typename F>
Napi::Value guarded(const Napi::CallbackInfo& info, F&& body) {
  try {
    return body();
  } catch (const Napi::Error&) {
    throw;
  } catch (const std::exception& e) {
    throw Napi::Error::New(info.Env(), e.what());
  }
}

// Each binding file adds its functions to the module's exports.
// Helpers other binding files read: a spike index's arrays { offsets, cols, vals, rows, inFeatures },
// checked (binding_sparse.cc); a LIF scan's config fields and its optional spike `mask`
// (binding_neurons.cc).
struct IndexArgs {
  int R, F;
  const int32_t* offsets;
  const int32_t* cols;
  const float* vals;
};
IndexArgs index_args(const Args& a);
exo::LifConfig lif_config(const Args& a);
uint8_t* spike_mask(const Args& a, size_t N, size_t TN);

void register_neuron_bindings(Napi::Env env, Napi::Object exports);
void register_nn_op_bindings(Napi::Env env, Napi::Object exports);
void register_sparse_bindings(Napi::Env env, Napi::Object exports);
void register_table_bindings(Napi::Env env, Napi::Object exports);
void register_comm_bindings(Napi::Env env, Napi::Object exports);  // binding_comm.cc: MPI, NCCL
void register_delay_bindings(Napi::Env env, Napi::Object exports);  // binding_delay.cc: learnable delays
void register_recurrent_bindings(Napi::Env env, Napi::Object exports);  // binding_recurrent.cc: recurrent CubaLIF, ALIF, adLIF
void register_fused_bindings(Napi::Env env, Napi::Object exports);  // binding_fused.cc: Linear → LIF in one scan

// geom: { cin, h, w, kh, kw, sh, sw, ph, pw } (lib/conv.ts's Conv2dGeometry), validated.
exo::k::ConvGeom conv_geom(const Args& a);

// A batch's per-sample sparse frames { index: Uint32Array[B], count: Uint32Array[B] }, checked:
// B arrays each, a column's two of equal length. The pointers stay valid while the arrays live.
struct FrameColumns {
  Napi::Array index, count;
  std::vector<const uint32_t*> idx, cnt;
  std::vector<size_t> n;
};
FrameColumns frame_columns(const Args& a, int B);

}  // namespace exo_binding
