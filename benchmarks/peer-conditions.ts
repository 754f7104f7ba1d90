// The conditions that make a PyTorch peer fair, shared by the network bench (`exodus bench`) and
// the step bench: the allocator both sides run with, the thread counts the peer is timed at, and
// which BLAS the peer's torch actually called (docs/benchmarks.md, "Fair peers").
import { spawnSync } from "node:child_process";
import { platform } from "node:os";

/**
 * glibc keeps freed memory in its heap (no mmap per large block, no trim): a training loop reuses
 * its memory, and without this the peer's CPU backward spends most of its time in page faults on
 * this kind of VM. Must be in the environment before a process starts.
 */
export const HEAP_ENV = { MALLOC_MMAP_MAX_: "0", MALLOC_MMAP_THRESHOLD_: "33554432", MALLOC_TRIM_THRESHOLD_: "68719476736" } as const;

/**
 * Re-runs this script with HEAP_ENV (and `extra`) unless it already has it, then exits with the
 * child's status; returns only in the process that has it (or with `--fresh-memory`, or off Linux).
 */
export function ensureHeapEnv(extra: Record<string, string> = {}): void {
  if (process.env.MALLOC_TRIM_THRESHOLD_ || process.argv.includes("--fresh-memory") || platform() !== "linux") return;
  const r = spawnSync(process.execPath, process.argv.slice(1), { stdio: "inherit", env: { ...process.env, ...HEAP_ENV, ...extra } });
  process.exit(r.status ?? 1);
}

/** What the current process's allocator does, in words, for the results file. */
export function heapConditions(): string {
  return process.env.MALLOC_TRIM_THRESHOLD_
    ? `freed memory kept in glibc's heap for exodus and the peer (MALLOC_MMAP_MAX_=${process.env.MALLOC_MMAP_MAX_} MALLOC_MMAP_THRESHOLD_=${process.env.MALLOC_MMAP_THRESHOLD_} MALLOC_TRIM_THRESHOLD_=${process.env.MALLOC_TRIM_THRESHOLD_}; EXODUS_HOST_CACHE_MB=${process.env.EXODUS_HOST_CACHE_MB ?? "default"})`
    : "default allocator: freed memory returned to the OS (fresh pages fault again)";
}

/** The peer's report of its BLAS: torch's BLAS_INFO and the BLAS libraries mapped into its process. */
export interface PeerBlas {
  info: string;
  libraries: string[];
}

export interface BlasVerdict {
  /** e.g. "OpenBLAS 0.3.21 (pthread)", "netlib reference BLAS", "MKL". */
  name: string;
  kind: "optimised" | "reference" | "unknown";
}

export const REFERENCE_BLAS_FIX =
  "install an optimised BLAS as the system's libblas.so.3 (Debian: apt-get install libopenblas0-pthread; check with update-alternatives --display libblas.so.3-x86_64-linux-gnu) and run again";

/**
 * Names the BLAS from the files the peer's process mapped: torch's BLAS_INFO says "generic" for
 * Debian's build whatever libblas.so.3 points to, so only the mapped file tells.
 */
export function blasVerdict(b: PeerBlas | undefined): BlasVerdict {
  const libs = b?.libraries ?? [];
  const openblas = libs.find((l) => /openblas/i.test(l));
  if (openblas) {
    const version = /libopenblas\w*-r(\d+(?:\.\d+)*)\.so/.exec(libs.join(" "))?.[1];
    const flavour = /openblas-(pthread|openmp|serial)/.exec(openblas)?.[1];
    return { name: `OpenBLAS${version ? ` ${version}` : ""}${flavour ? ` (${flavour})` : ""}`, kind: "optimised" };
  }
  if (libs.some((l) => /mkl/i.test(l))) return { name: "Intel MKL", kind: "optimised" };
  if (libs.some((l) => /blis/i.test(l))) return { name: "BLIS", kind: "optimised" };
  if (libs.some((l) => /atlas/i.test(l))) return { name: "ATLAS", kind: "optimised" };
  if (libs.some((l) => /\/blas\/libblas\.so/.test(l))) return { name: `netlib reference BLAS (${libs.find((l) => /\/blas\/libblas\.so/.test(l))})`, kind: "reference" };
  if (b?.info && /mkl/i.test(b.info)) return { name: "Intel MKL (linked into torch)", kind: "optimised" };
  return { name: `unidentified (torch BLAS_INFO=${b?.info ?? "?"}; libraries: ${libs.join(", ") || "none mapped"})`, kind: "unknown" };
}

/** Why no headline ratio may be printed against this peer, or undefined when it may. */
export function handicappedPeer(b: PeerBlas | undefined): string | undefined {
  const v = blasVerdict(b);
  if (v.kind !== "reference") return undefined;
  return `the PyTorch peer runs on the ${v.name}, several times slower than an optimised BLAS: no speed-up against it is printed. To fix: ${REFERENCE_BLAS_FIX}`;
}

/**
 * The thread counts the peer is timed at: exodus's, and every count from 1 to the cores (at most
 * 4 of them, spread out) so that its best is among them.
 */
export function peerThreadCounts(exodusThreads: number, cores: number): number[] {
  const own = cores <= 4 ? Array.from({ length: cores }, (_, i) => i + 1) : [1, Math.floor(cores / 2), cores];
  return [...new Set([exodusThreads, ...own])].sort((a, b) => a - b);
}
