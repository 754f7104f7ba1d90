// The safety net under explicit memory management. scope() and dispose() stay the fast path
// (memory comes back at once, GPU memory never waits for a GC); a tensor dropped without either
// is released by a FinalizationRegistry once the garbage collector finds it unreachable. The
// registry holds the tensor's storage reference, not the tensor, and dispose() unregisters, so a
// reference is released exactly once, by whichever comes first.
//
// Node runs finalisers between event-loop turns, so this reclaims memory in loops that await
// (data loaders, timers), not inside one long synchronous loop: there only scope() helps. Both
// cases are reported once per process, when they carry real load; with EXODUS_DEBUG set the
// message names where such a tensor was allocated.

/** One tensor's hold on its storage (the storage itself: held by the registry, it must not reference the tensor). */
export interface Hold {
  release(): void;
  readonly bytes: number;
}

/** Under EXODUS_DEBUG a hold also carries its allocation's stack (capturing it costs more than the allocation). */
interface Held {
  hold: Hold;
  site?: string;
}

/** Finalised tensors and bytes past which the fallback is carrying real load. */
export const FALLBACK_WARN = { tensors: 10_000, bytes: 256 * 2 ** 20 };
/**
 * Bytes of new tensors made outside any scope() and not disposed since the event loop last turned,
 * past which a synchronous loop is piling up what no finaliser can free before it returns.
 */
export const SYNC_WARN_BYTES = 2 ** 30;

const debug = !!process.env.EXODUS_DEBUG;
const stats = { finalized: 0, finalizedBytes: 0, live: 0, warnedFallback: false, warnedSync: false };
/** Bytes allocated outside scopes since the last event-loop turn (minus disposals), and whether a turn is awaited. */
const sync = { bytes: 0, waiting: false };

const registry = new FinalizationRegistry<Hold | Held>((held) => {
  const h = "hold" in held ? held.hold : held;
  const site = "hold" in held ? held.site : undefined;
  stats.finalizedBytes += h.bytes; // before release: a freed storage reports 0 bytes
  h.release();
  stats.live--;
  stats.finalized++;
  if (!stats.warnedFallback && (stats.finalized >= FALLBACK_WARN.tensors || stats.finalizedBytes >= FALLBACK_WARN.bytes)) {
    stats.warnedFallback = true;
    warn(
      `the garbage collector has freed ${stats.finalized} tensors (${mb(stats.finalizedBytes)}) that were never disposed. ` +
        "That works, but late: memory waits for a collection (GPU memory too). Free tensors explicitly: run each step in scope(() => …) or call dispose().",
      site,
    );
  }
});

/**
 * Tracks a new tensor: its hold is released when the tensor is collected undisposed. unscoped:
 * a new allocation made outside any scope(), counted towards the synchronous-loop warning.
 */
export function track(tensor: object, hold: Hold, unscoped: boolean): void {
  const site = debug ? allocationSite() : undefined;
  registry.register(tensor, site === undefined ? hold : { hold, site }, tensor);
  stats.live++;
  if (!unscoped || stats.warnedSync) return;
  sync.bytes += hold.bytes;
  if (!sync.waiting) {
    sync.waiting = true;
    setImmediate(() => {
      sync.waiting = false;
      sync.bytes = 0;
    }).unref();
  }
  if (sync.bytes >= SYNC_WARN_BYTES) {
    stats.warnedSync = true;
    warn(
      `${mb(sync.bytes)} of tensors were made outside scope() and not disposed since the event loop last turned. ` +
        "The garbage collector can free unreachable ones only between event-loop turns, never inside one synchronous loop: wrap each step in scope(() => …) or dispose() what you no longer need.",
      site,
    );
  }
}

/** The tensor was disposed: its hold is released by the caller, not by the registry. */
export function untrack(tensor: object): void {
  if (registry.unregister(tensor)) stats.live--;
}

/** A storage was freed explicitly (its last tensor disposed): its bytes no longer pile up. */
export function freed(bytes: number): void {
  if (sync.waiting) sync.bytes = Math.max(0, sync.bytes - bytes);
}

/** Counters of the fallback (tests, diagnostics). */
export function finalizerStats(): { finalized: number; finalizedBytes: number; live: number } {
  return { finalized: stats.finalized, finalizedBytes: stats.finalizedBytes, live: stats.live };
}

function mb(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(1)} MB`;
}

function allocationSite(): string {
  // Drop the frames of this file and tensor.ts: the first frame left is the caller's.
  const lines = (new Error().stack ?? "").split("\n").slice(1);
  const own = /[/\\](finalizer|tensor)\.(ts|js)|node:internal/;
  return lines.filter((l) => !own.test(l)).slice(0, 6).map((l) => l.trim()).join("\n  ");
}

function warn(message: string, site: string | undefined): void {
  const where = site ? `\n  the latest such tensor was allocated at:\n  ${site}` : " (set EXODUS_DEBUG=1 to see where such a tensor was allocated)";
  process.emitWarning(`exodus: ${message}${where}`, { code: "EXODUS_MEMORY" });
}
