// Whether this CPU has AVX-512F (Linux's /proc/cpuinfo; false where it cannot be read): the tests
// of the CPU backend's AVX-512 twins compare them with the AVX2 kernels only where both can run.
import { readFileSync } from "node:fs";

export const hasAvx512 = (() => {
  try {
    return /\bavx512f\b/.test(readFileSync("/proc/cpuinfo", "utf8"));
  } catch {
    return false;
  }
})();
