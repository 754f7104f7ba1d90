// The safety net under explicit memory management. scope() and dispose() stay the fast path
// (memory comes back at once, GPU memory never waits for a GC); a tensor dropped without either
// is freed by the garbage collector itself: its native buffer is released from a V8 weak callback
// inside the collection (binding_buffer.h), so a synchronous loop that never disposes stays flat
// too, and V8 is told of the native bytes so that it collects sooner as they grow.
//
// This file watches that fallback: once per process, when the collector has freed real load, a
// warning says so, naming (under EXODUS_DEBUG) where such a tensor was allocated.
import { native } from "./native.js";

/** Buffers and bytes freed by the collector past which the fallback is carrying real load. */
export const FALLBACK_WARN = { tensors: 10_000, bytes: 256 * 2 ** 20 };
/** Allocations between two looks at the collector's counters (one native call each). */
const CHECK_EVERY = 256;

const debug = !!process.env.EXODUS_DEBUG;
let warned = false;
let sinceCheck = 0;

/**
 * The allocation site to record with a new buffer, under EXODUS_DEBUG and outside every scope()
 * (a scoped one is the scope's to free; capturing a stack costs more than the allocation).
 */
export function siteOf(unscoped: boolean): string | undefined {
  return debug && unscoped ? allocationSite() : undefined;
}

/** Counts an allocation; every CHECK_EVERY, warns once if the collector has been freeing real load. */
export function noteAllocation(): void {
  if (warned || ++sinceCheck < CHECK_EVERY) return;
  sinceCheck = 0;
  const s = native().NativeBuffer.stats();
  if (s.collected < FALLBACK_WARN.tensors && s.collectedBytes < FALLBACK_WARN.bytes) return;
  warned = true;
  const where = s.site
    ? `\n  the latest such tensor was allocated at:\n  ${s.site}`
    : " (set EXODUS_DEBUG=1 to see where such a tensor was allocated)";
  process.emitWarning(
    `exodus: the garbage collector has freed ${s.collected} tensors (${mb(s.collectedBytes)}) that were never disposed. ` +
      "That works, but late: memory waits for a collection (GPU memory too). Free tensors explicitly: run each step in scope(() => …) or call dispose()." +
      where,
    { code: "EXODUS_MEMORY" },
  );
}

/**
 * Counters of the fallback (tests, diagnostics), process-wide: tensor buffers freed by the
 * collector and their bytes; buffers alive now (disposed by nobody yet) and their bytes; and
 * whether this build frees inside the collection (false where it was built without V8's headers
 * or runs under another Node major: then on the event-loop turn after it).
 */
export function finalizerStats(): { finalized: number; finalizedBytes: number; live: number; liveBytes: number; inCollection: boolean } {
  const s = native().NativeBuffer.stats();
  return { finalized: s.collected, finalizedBytes: s.collectedBytes, live: s.live, liveBytes: s.liveBytes, inCollection: s.inCollection };
}

function mb(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(1)} MB`;
}

/** This library's folder (lib/ or dist/lib/): frames outside it are the user's code. */
const LIB_DIR = new URL(".", import.meta.url).href;

function allocationSite(): string {
  // Drop the frames of this file and tensor.ts: the first frame left is the caller's.
  const lines = (new Error().stack ?? "").split("\n").slice(1);
  const own = /[/\\](finalizer|tensor)\.(ts|js)|node:internal/;
  const frames = lines.filter((l) => !own.test(l)).map((l) => l.trim());
  const shown = frames.slice(0, 6);
  // A deep layer stack can hide the user's line: add the first frame outside the library.
  const user = frames.find((l) => !l.includes(LIB_DIR));
  if (user && !shown.includes(user)) shown.push("…", user);
  return shown.join("\n  ");
}
