"""Times numpy's float32 matrix product (OpenBLAS sgemm when libopenblas0-pthread is installed)
on the shapes given as JSON on stdin; prints JSON results. Run with Debian's /usr/bin/python3.

Input:  {"shapes": [{"M":..,"N":..,"K":..,"ta":bool,"tb":bool}, ...], "repeats": 5}
Output: {"blas": "...", "results": [{"ms": best_ms, "gflops": ...}, ...]}
"""
import json
import sys
import time

import numpy as np


def blas_name():
    try:
        cfg = np.show_config(mode="dicts")
        return cfg["Build Dependencies"]["blas"]["name"]
    except Exception:  # older numpy: no dict mode
        pass
    try:
        from numpy.__config__ import get_info  # type: ignore
        for key in ("openblas_info", "blas_opt_info", "blas_info"):
            info = get_info(key)
            if info:
                return key + ":" + ",".join(info.get("libraries", []))
    except Exception:
        pass
    return "unknown"


def main():
    req = json.load(sys.stdin)
    rng = np.random.default_rng(0)
    out = []
    for s in req["shapes"]:
        M, N, K = s["M"], s["N"], s["K"]
        a = rng.standard_normal((K, M) if s.get("ta") else (M, K), dtype=np.float32)
        b = rng.standard_normal((N, K) if s.get("tb") else (K, N), dtype=np.float32)
        A = a.T if s.get("ta") else a
        B = b.T if s.get("tb") else b
        c = np.empty((M, N), dtype=np.float32)
        np.matmul(A, B, out=c)
        best = float("inf")
        for _ in range(req.get("repeats", 5)):
            t0 = time.perf_counter()
            np.matmul(A, B, out=c)
            best = min(best, time.perf_counter() - t0)
        out.append({"ms": best * 1e3, "gflops": 2.0 * M * N * K / best / 1e9})
    json.dump({"blas": blas_name(), "numpy": np.__version__, "results": out}, sys.stdout)


if __name__ == "__main__":
    main()
