// Shared N-API helpers of the binding files: the NativeBuffer class that owns a device
// allocation, argument unpacking, view bounds checks, and C++ -> JavaScript error conversion.
#pragma once
#include <napi.h>

#include <string>
#include <vector>

#include "exodus/api.h"

namespace exo_binding {

// ---- NativeBuffer: one device allocation owned by JavaScript ----------------------------------
class NativeBuffer : public Napi::ObjectWrap<NativeBuffer> {
 public:
  static inline Napi::FunctionReference ctor;
  static Napi::Function Init(Napi::Env env) {
    return DefineClass(env, "NativeBuffer",
                       {InstanceMethod("dispose", &NativeBuffer::Dispose),
                        InstanceAccessor("size", &NativeBuffer::Size, nullptr),
                        InstanceAccessor("disposed", &NativeBuffer::Disposed, nullptr)});
  }
  // new NativeBuffer(deviceType, deviceIndex, elements)
  explicit NativeBuffer(const Napi::CallbackInfo& info) : Napi::ObjectWrap<NativeBuffer>(info) {
    Napi::Env env = info.Env();
    if (info.Length() != 3) throw Napi::TypeError::New(env, "NativeBuffer(deviceType, deviceIndex, size)");
    exo::Device dev{static_cast<exo::DevType>(info[0].As<Napi::Number>().Int32Value()),
                    info[1].As<Napi::Number>().Int32Value()};
    double n = info[2].As<Napi::Number>().DoubleValue();
    if (!(n >= 0) || n > 9.007199254740991e15) throw Napi::RangeError::New(env, "invalid buffer size");
    try {
      buf_ = exo::alloc(dev, static_cast<size_t>(n));
    } catch (const std::exception& e) {
      throw Napi::Error::New(env, e.what());
    }
    bytes_ = static_cast<int64_t>(buf_.size * sizeof(float));
    Napi::MemoryManagement::AdjustExternalMemory(env, bytes_);
  }
  // Collected without dispose(): free the block and give V8 back its external-memory count, or
  // V8 would believe the memory still held and collect ever more eagerly.
  void Finalize(Napi::Env env) override { Free(&env); }
  ~NativeBuffer() override { Free(nullptr); }

  exo::Buffer& buf() { return buf_; }

 private:
  void Free(Napi::Env* env) {
    if (!buf_.data) return;
    try {
      exo::release(buf_);
    } catch (...) {
      // Releasing into the cache cannot fail in practice; never throw from a finaliser.
    }
    if (env) Napi::MemoryManagement::AdjustExternalMemory(*env, -bytes_);
    bytes_ = 0;
  }
  Napi::Value Dispose(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Free(&env);
    return env.Undefined();
  }
  Napi::Value Size(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), (double)buf_.size); }
  Napi::Value Disposed(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), buf_.data == nullptr); }

  exo::Buffer buf_;
  int64_t bytes_ = 0;
};

// ---- argument helpers --------------------------------------------------------------------------
struct View {
  float* p;
  exo::Device dev;
};

inline double num(const Napi::CallbackInfo& info, size_t i) {
  if (i >= info.Length() || !info[i].IsNumber())
    throw Napi::TypeError::New(info.Env(), "argument " + std::to_string(i) + " must be a number");
  return info[i].As<Napi::Number>().DoubleValue();
}
inline size_t count(const Napi::CallbackInfo& info, size_t i) {
  double v = num(info, i);
  if (!(v >= 0)) throw Napi::RangeError::New(info.Env(), "argument " + std::to_string(i) + " must be >= 0");
  return static_cast<size_t>(v);
}
inline int integer(const Napi::CallbackInfo& info, size_t i) { return static_cast<int>(num(info, i)); }

// (buffer, offset) at info[i], info[i+1], checked to hold `need` elements.
inline View view(const Napi::CallbackInfo& info, size_t i, size_t need) {
  Napi::Env env = info.Env();
  if (i >= info.Length() || !info[i].IsObject() || !info[i].As<Napi::Object>().InstanceOf(NativeBuffer::ctor.Value()))
    throw Napi::TypeError::New(env, "argument " + std::to_string(i) + " must be a NativeBuffer");
  exo::Buffer& b = NativeBuffer::Unwrap(info[i].As<Napi::Object>())->buf();
  if (!b.data) throw Napi::Error::New(env, "tensor used after dispose()");
  size_t off = count(info, i + 1);
  if (off > b.size || need > b.size - off)
    throw Napi::RangeError::New(env, "view of " + std::to_string(need) + " elements at offset " +
                                         std::to_string(off) + " exceeds its buffer of " + std::to_string(b.size));
  return View{b.data + off, b.dev};
}

inline void same_device(const Napi::CallbackInfo& info, const View& a, const View& b) {
  if (a.dev.type != b.dev.type || a.dev.index != b.dev.index)
    throw Napi::Error::New(info.Env(), "operands are on different devices");
}

// A view that must live on the same device as `like`.
inline View view_like(const Napi::CallbackInfo& info, size_t i, size_t need, const View& like) {
  View v = view(info, i, need);
  same_device(info, like, v);
  return v;
}

// An optional view (null or undefined gives nullptr); when present, on the same device as `like`.
inline float* optional_view(const Napi::CallbackInfo& info, size_t i, size_t need, const View& like) {
  if (i >= info.Length() || info[i].IsNull() || info[i].IsUndefined()) return nullptr;
  return view_like(info, i, need, like).p;
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
void register_neuron_bindings(Napi::Env env, Napi::Object exports);
void register_nn_op_bindings(Napi::Env env, Napi::Object exports);

}  // namespace exo_binding
