// NativeBuffer: one device allocation owned by a JavaScript object (lib/tensor.ts's Storage).
//
// dispose() frees it at once (the fast path: scope() and Tensor.dispose() end here). A buffer
// whose object becomes unreachable undisposed is freed by the garbage collector itself, from a V8
// first-pass weak callback, which runs synchronously inside every collection (minor ones too).
// N-API finalisers (and JavaScript's FinalizationRegistry) run only when the event loop turns,
// so inside one long synchronous loop (`for (…) net.forward(x)`) they would free nothing until it
// returned; the weak callback frees within the loop.
//
// A first-pass callback may only reset its handle and free non-V8 memory: no JavaScript, no V8
// call. So the bytes it frees are reported to V8 later, by the next allocation or dispose() on
// this thread (one isolate per thread), and V8's external-memory count, which makes it collect
// sooner when native memory grows, stays close to the truth without calling V8 from the GC.
//
// V8's C++ API, unlike N-API, is not stable across Node majors: the weak callback is compiled
// where CMake found this Node's v8.h (EXODUS_V8_WEAK: the headers' Node major) and used only
// under that Node major. Otherwise the N-API finaliser frees the block, on the next event-loop turn.
#pragma once
#include <napi.h>
#ifdef EXODUS_V8_WEAK
#include <v8.h>
#endif

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>

#include "exodus/backend.h"

namespace exo_binding {

// Buffers of every isolate (worker threads too): live, and freed by the collector.
struct BufferCounters {
  std::atomic<int64_t> live{0}, live_bytes{0}, collected{0}, collected_bytes{0};
  std::mutex site_mu;
  std::string site;  // allocation site of the latest buffer the collector freed (EXODUS_DEBUG)
};
inline BufferCounters& buffer_counters() {
  static BufferCounters* c = new BufferCounters();  // never destroyed: collections may run during exit
  return *c;
}
// Bytes the collector freed on this thread's isolate that V8 has not been told about yet.
inline thread_local int64_t unreported_freed = 0;
inline int64_t take_unreported() {
  int64_t b = unreported_freed;
  unreported_freed = 0;
  return b;
}

#ifdef EXODUS_V8_WEAK
// EXODUS_V8_WEAK=off in the environment turns it off at run time (to compare, or to rule it out).
inline bool v8_weak_usable(napi_env env) {
  static const bool ok = [env] {
    const char* off = std::getenv("EXODUS_V8_WEAK");
    if (off && std::string(off) == "off") return false;
    const napi_node_version* v = nullptr;
    return napi_get_node_version(env, &v) == napi_ok && v && v->major == EXODUS_V8_WEAK;
  }();
  return ok;
}
#endif

class NativeBuffer : public Napi::ObjectWrap<NativeBuffer> {
 public:
  static constexpr napi_type_tag kTag = {0x6578'6f64'7573'4e42ull, 0x7566'6665'7200'0001ull};
  static Napi::Function Init(Napi::Env env) {
    return DefineClass(env, "NativeBuffer",
                       {InstanceMethod("dispose", &NativeBuffer::Dispose),
                        InstanceAccessor("size", &NativeBuffer::Size, nullptr),
                        InstanceAccessor("disposed", &NativeBuffer::Disposed, nullptr),
                        StaticMethod("stats", &NativeBuffer::Stats)});
  }
  // new NativeBuffer({ device, index, size, site? }): device 0 (CPU) or 1 (CUDA), size in
  // elements; site: where it was allocated, named by the collector's warning (EXODUS_DEBUG).
  explicit NativeBuffer(const Napi::CallbackInfo& info) : Napi::ObjectWrap<NativeBuffer>(info) {
    Napi::Env env = info.Env();
    if (info.Length() != 1 || !info[0].IsObject()) throw Napi::TypeError::New(env, "NativeBuffer({ device, index, size })");
    Napi::Object o = info[0].As<Napi::Object>();
    Napi::Value d = o.Get("device"), i = o.Get("index"), sz = o.Get("size"), site = o.Get("site");
    if (!d.IsNumber() || !i.IsNumber() || !sz.IsNumber())
      throw Napi::TypeError::New(env, "NativeBuffer: device, index and size must be numbers");
    int type = d.As<Napi::Number>().Int32Value();
    if (type != 0 && type != 1) throw Napi::RangeError::New(env, "NativeBuffer: device must be 0 (cpu) or 1 (cuda)");
    exo::Device dev{static_cast<exo::DevType>(type), i.As<Napi::Number>().Int32Value()};
    double n = sz.As<Napi::Number>().DoubleValue();
    if (!(n >= 0) || n > 9.007199254740991e15) throw Napi::RangeError::New(env, "NativeBuffer: invalid size");
    if (site.IsString()) site_ = site.As<Napi::String>().Utf8Value();
    napi_type_tag_object(env, info.This(), &kTag);
    try {
      buf_ = exo::alloc(dev, static_cast<size_t>(n));
    } catch (const std::exception& e) {
      throw Napi::Error::New(env, e.what());
    }
    bytes_ = static_cast<int64_t>(buf_.size * sizeof(float));
    BufferCounters& c = buffer_counters();
    c.live++;
    c.live_bytes += bytes_;
    Napi::MemoryManagement::AdjustExternalMemory(env, bytes_ - take_unreported());
#ifdef EXODUS_V8_WEAK
    if (!v8_weak_usable(env)) return;
    // napi_value is a v8::Local<v8::Value> by another name (Node's own v8impl converts the same way).
    napi_value self = info.This();
    v8::Local<v8::Value> local;
    static_assert(sizeof(local) == sizeof(self), "napi_value and v8::Local differ");
    std::memcpy(static_cast<void*>(&local), &self, sizeof(self));
    weak_.Reset(v8::Isolate::GetCurrent(), local);
    weak_.SetWeak(this, &Collected, v8::WeakCallbackType::kParameter);
#endif
  }
  // The N-API finaliser runs on a later event-loop turn, after the weak callback has freed the
  // block, and only hands V8 the count; it frees the block itself where there is no weak callback.
  void Finalize(Napi::Env env) override {
    ResetWeak();
    int64_t freed = Free(true);
    int64_t unreported = take_unreported();
    if (freed + unreported) Napi::MemoryManagement::AdjustExternalMemory(env, -(freed + unreported));
  }
  ~NativeBuffer() override {
    ResetWeak();
    Free(false);
  }

  exo::Buffer& buf() { return buf_; }
  // Whether v is a NativeBuffer: a type tag rather than instanceof, so the check needs no
  // per-environment constructor (the addon may be loaded by worker threads too) and is cheap.
  static bool is(Napi::Env env, const Napi::Value& v) {
    if (!v.IsObject()) return false;
    bool ok = false;
    return napi_check_object_type_tag(env, v, &kTag, &ok) == napi_ok && ok;
  }

 private:
#ifdef EXODUS_V8_WEAK
  // First-pass weak callback, inside a collection: reset the handle, free the block; nothing else.
  static void Collected(const v8::WeakCallbackInfo<NativeBuffer>& data) {
    NativeBuffer* self = data.GetParameter();
    self->weak_.Reset();
    unreported_freed += self->Free(true);
  }
  void ResetWeak() { weak_.Reset(); }
  v8::Global<v8::Value> weak_;
#else
  void ResetWeak() {}
#endif
  // Frees the block once (dispose, collection or teardown, whichever comes first); returns its bytes.
  int64_t Free(bool collected) {
    if (!buf_.data) return 0;
    try {
      exo::release(buf_);
    } catch (...) {
      // Releasing into the cache cannot fail in practice; never throw from a finaliser or a GC.
    }
    buf_.data = nullptr;
    int64_t bytes = bytes_;
    bytes_ = 0;
    BufferCounters& c = buffer_counters();
    c.live--;
    c.live_bytes -= bytes;
    if (collected) {
      c.collected++;
      c.collected_bytes += bytes;
      if (!site_.empty()) {
        std::lock_guard<std::mutex> lock(c.site_mu);
        c.site.swap(site_);
      }
    }
    return bytes;
  }
  Napi::Value Dispose(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    ResetWeak();
    int64_t freed = Free(false) + take_unreported();
    if (freed) Napi::MemoryManagement::AdjustExternalMemory(env, -freed);
    return env.Undefined();
  }
  // NativeBuffer.stats(): { live, liveBytes, collected, collectedBytes, site, inCollection }
  // (inCollection: whether the weak callback frees within a collection in this build and Node).
  static Napi::Value Stats(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    BufferCounters& c = buffer_counters();
    Napi::Object o = Napi::Object::New(env);
    o.Set("live", (double)c.live.load());
    o.Set("liveBytes", (double)c.live_bytes.load());
    o.Set("collected", (double)c.collected.load());
    o.Set("collectedBytes", (double)c.collected_bytes.load());
#ifdef EXODUS_V8_WEAK
    o.Set("inCollection", v8_weak_usable(env));
#else
    o.Set("inCollection", false);
#endif
    std::string site;
    {
      // Copied first: making the JavaScript string may run a collection, whose callbacks take this lock.
      std::lock_guard<std::mutex> lock(c.site_mu);
      site = c.site;
    }
    o.Set("site", site);
    return o;
  }
  Napi::Value Size(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), (double)buf_.size); }
  Napi::Value Disposed(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), buf_.data == nullptr); }

  exo::Buffer buf_;
  int64_t bytes_ = 0;
  std::string site_;
};

}  // namespace exo_binding
