// Optimiser updates, one parameter element at a time, shared by both backends.
#pragma once
#include "common.cuh"

namespace exo {
namespace k {

struct AdamConfig {
  float lr, beta1, beta2, eps;
  float weight_decay;
  float bias1, bias2;  // 1 - beta^t for the current step t
  int decoupled;       // 1: AdamW (decay applied to the weights), 0: L2 added to the gradient
};

EXO_HD void adam_update(float& p, float g, float& m, float& v, const AdamConfig& c) {
  if (c.weight_decay != 0.f && !c.decoupled) g += c.weight_decay * p;
  m = c.beta1 * m + (1.f - c.beta1) * g;
  v = c.beta2 * v + (1.f - c.beta2) * g * g;
  float mhat = m / c.bias1, vhat = v / c.bias2;
  if (c.weight_decay != 0.f && c.decoupled) p -= c.lr * c.weight_decay * p;
  p -= c.lr * mhat / (sqrtf(vhat) + c.eps);
}

// Counter-based uniform in [0, 1) from (seed, index): the same dropout mask on every backend and
// thread count, without random-number state on the device.
EXO_HD float hash_uniform(unsigned long long seed, unsigned long long i) {
  unsigned long long z = seed * 0x9E3779B97F4A7C15ull + i + 0x632BE59BD9B4E019ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  z ^= z >> 31;
  return (float)(z >> 40) * (1.0f / 16777216.0f);
}

// Inverted dropout's factor for element i: 1/(1-p) kept, 0 dropped (`keep` = 1/(1-p)).
EXO_HD float dropout_factor(unsigned long long seed, unsigned long long i, float p, float keep) {
  return hash_uniform(seed, i) >= p ? keep : 0.f;
}

}  // namespace k
}  // namespace exo
