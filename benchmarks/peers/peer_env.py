"""What the PyTorch peers report about the conditions they ran under, shared by torch_network.py
and torch_shd_step.py: the BLAS library their torch actually calls (read from the process's own
memory map, not from torch's build string, which says "generic" for Debian's build whichever
libblas.so.3 the system routes it to), the allocator settings, the load average and the peak
resident memory. Imported by the peers from their own folder; not run by itself.
"""
import os
import re


def blas():
    """torch's BLAS_INFO and the BLAS/LAPACK libraries mapped into this process. Debian's torch
    links libblas.so.3, an update-alternatives link: the netlib reference BLAS
    (/usr/lib/x86_64-linux-gnu/blas/libblas.so.3) unless an optimised one (OpenBLAS, BLIS, MKL) is
    installed as that alternative. Only the mapped file says which one runs."""
    import torch

    info = re.search(r"BLAS_INFO=(\w+)", torch.__config__.show())
    libs = set()
    try:
        with open("/proc/self/maps") as f:
            for line in f:
                parts = line.split()
                if len(parts) >= 6 and re.search(r"blas|mkl|blis|lapack", os.path.basename(parts[-1]) + parts[-1], re.I):
                    libs.add(os.path.realpath(parts[-1]))
    except OSError:
        pass
    return {"info": info.group(1) if info else "unknown", "libraries": sorted(libs)}


def peak_rss_mib():
    """This process's peak resident memory (VmHWM), in MiB; None where /proc is not there."""
    try:
        with open("/proc/self/status") as f:
            m = re.search(r"^VmHWM:\s+(\d+) kB", f.read(), re.M)
            return int(m.group(1)) / 1024 if m else None
    except OSError:
        return None


def conditions():
    """Allocator settings and load average, for the results file."""
    keys = ("MALLOC_MMAP_MAX_", "MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "GLIBC_TUNABLES", "OMP_NUM_THREADS")
    return {
        "env": {k: os.environ[k] for k in keys if k in os.environ},
        "loadavg": list(os.getloadavg()),
    }
