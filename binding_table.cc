// N-API view of the backend table itself (backend.h): its entries by name, and which backend has
// which, so JavaScript asks `supports` instead of testing the device type, and `exodus selftest`
// can list every entry.
#include "binding.h"

namespace exo_binding {
namespace {

// backendOps() -> the table's entry names, in table order.
Napi::Value BackendOps(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    Napi::Array names = Napi::Array::New(info.Env(), (size_t)exo::Op::Count);
    for (int i = 0; i < (int)exo::Op::Count; ++i) names.Set((uint32_t)i, exo::op_name((exo::Op)i));
    return names;
  });
}

// supports({ op, device, index }) -> whether the backend of that device has the entry `op`
// (device 0: CPU, 1: CUDA; the index does not change the answer: one backend serves every GPU).
Napi::Value Supports(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    Args a(info, "supports");
    Napi::Value ov = a.get("op");
    if (!ov.IsString()) a.fail("op", "must be the name of a backend-table entry (backendOps() lists them)");
    const std::string op = ov.As<Napi::String>().Utf8Value();
    const int type = a.integer("device");
    if (type != 0 && type != 1) a.fail("device", "must be 0 (cpu) or 1 (cuda), received " + std::to_string(type));
    const exo::Backend& be = exo::on(exo::Device{(exo::DevType)type, a.dim("index")});
    for (int i = 0; i < (int)exo::Op::Count; ++i)
      if (op == exo::op_name((exo::Op)i)) return Napi::Boolean::New(info.Env(), be.supports((exo::Op)i));
    a.fail("op", "\"" + op + "\" is not a backend-table entry (backendOps() lists them)");
  });
}

}  // namespace

void register_table_bindings(Napi::Env env, Napi::Object exports) {
  exports.Set("backendOps", Napi::Function::New(env, BackendOps, "backendOps"));
  exports.Set("supports", Napi::Function::New(env, Supports, "supports"));
}

}  // namespace exo_binding
