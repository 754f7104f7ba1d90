// Checkpointing (recompute) over a Sequential's layers: the forward runs the network in segments
// of consecutive layers and keeps only each segment's input (an Activation, with its spike mask or
// index), freeing what the segment's layers kept for their backward. The backward walks the
// segments from the last: it re-runs a segment's forward from its kept input, then its backward.
// Memory during the step is then the segment inputs plus one segment's caches, instead of every
// layer's; the cost is one more forward of every segment but the last.
//
// The results are those of the plain step, bit for bit: a recomputed forward is the same
// computation on the same input (the product paths are chosen from the input's density, dropout
// masks from the step's seed), and before it the segment's state is put back as the first forward
// found it (batch norm's running statistics and step count, the neurons' carried states), so
// nothing is counted twice. Segments never split a fused group of the plan (plan.ts), and a
// segment whose first layer reads spikes gets the mask the one before packed, as in one Sequential.
//
// On the CPU the host block cache (cuda/dispatch.cc), which keeps freed blocks for reuse, is
// emptied after each segment: checkpointing is for a step that must fit, and cached blocks of
// the last segment's sizes would stay resident beside the next segment's.
import type { Activation, ForwardRequest } from "./activation.js";
import type { Module } from "./module.js";
import { StepWrapper } from "./step-wrapper.js";
import { NeuronLayer } from "./neuron.js";
import { Sequential } from "./sequential.js";
import { ExodusError } from "../errors.js";
import { Tensor, keep } from "../tensor.js";
import { type Packed, pack, unpack } from "./packed.js";
import { checkpointedKept, forwardMemory } from "./memory.js";
import { native } from "../native.js";

/** A segment's input: the activation (its tensor as a view, or packed to bits or bytes, packed.ts) and the state before it ran. */
interface Kept {
  input: Activation;
  views: Tensor[];
  packed?: Packed;
  snapshot: Snapshot;
}

interface Snapshot {
  buffers: [Tensor, Tensor][];
  states: [NeuronLayer, Tensor[] | undefined][];
}

export class Checkpointed extends StepWrapper {
  /** The segments, each a Sequential over a run of the network's layers (sharing them). */
  readonly segments: Sequential[];
  /** Layer index where each segment starts. */
  readonly starts: readonly number[];
  private kept: Kept[] = [];
  private mask = false;

  /** starts: the first layer of each segment (0 first, ascending, at plan step boundaries). */
  constructor(net: Sequential, starts: readonly number[]) {
    super(net);
    if (net.layout !== "TBN") throw new ExodusError(`Checkpointed: expected a time-major Sequential (layout "TBN"), received layout "${net.layout}"; checkpoint the time-major network`);
    const stepStarts = new Set(net.plan.map((s) => s.start));
    const n = net.layers.length;
    if (starts[0] !== 0 || starts.some((s, i) => !stepStarts.has(s) || (i > 0 && s <= starts[i - 1])))
      throw new ExodusError(`Checkpointed: expected segment starts ascending from 0 at the plan's step starts (${[...stepStarts].join(", ")}), received ${starts.join(", ")}`);
    this.starts = [...starts];
    this.segments = starts.map((s, i) => new Sequential(...net.layers.slice(s, starts[i + 1] ?? n)));
    // A segment's caches go after its backward anyway: free each layer's as soon as it is used.
    for (const seg of this.segments) seg.releaseAsItGoes = true;
  }

  forward(x: Tensor): Tensor {
    return this.forwardActivation({ x }).x;
  }

  override forwardActivation(a: Activation, req: ForwardRequest = {}): Activation {
    this.release();
    this.mask = !!req.mask;
    const last = this.segments.length - 1;
    let h = a;
    for (let k = 0; k <= last; k++) {
      const seg = this.segments[k];
      if (k < last) {
        const views = [keep(h.x.reshape(h.x.shape))]; // the segment's input outlives the layers' caches
        const kept: Kept = { input: { ...h, x: views[0] }, views, snapshot: snapshot(seg) };
        this.kept.push(kept);
        // A spike input is kept as bits or bytes (the first too: inside a block, the caller drops it),
        // packed before the segment runs so that its floats can go once the first layer has read them.
        const packed = pack(views[0]);
        if (packed) {
          views[0].dispose();
          kept.views = [];
          kept.packed = packed;
        }
      } else {
        // never recomputed (its backward comes first, on the caches it keeps): no copy of its input,
        // which a compact Conv2d keeps as bits only
        this.kept.push({ input: { ...h }, views: [], snapshot: { buffers: [], states: [] } });
      }
      // An input this forward made (the segment before's output), or the caller's when it hands it
      // over (ownsInput), is the segment's to drop.
      const owns = h.x !== a.x || !!req.ownsInput;
      const out = seg.forwardActivation(h, {
        ...(this.wantsMask(k) ? { mask: true } : {}), ...(req.observe ? { observe: req.observe } : {}), ...(owns ? { ownsInput: true } : {}),
      });
      if (owns && out.x !== h.x) h.x.dispose();
      if (k < last) {
        seg.releaseCache(); // the last segment's backward comes first: it keeps its caches
        if (!out.x.device.isCuda) native().emptyCache();
      }
      h = out;
    }
    return h;
  }

  /**
   * The first segment's input as the last forward kept it for its recompute: packed (bits or bytes)
   * or a float view; undefined when there is one segment only (never recomputed, nothing kept).
   */
  firstInput(): { packed: Packed } | { view: Tensor } | undefined {
    const k = this.kept[0];
    if (!k || this.segments.length < 2) return undefined;
    if (k.packed) return { packed: k.packed };
    return k.views[0] ? { view: k.views[0] } : undefined;
  }

  /** Whether segment k's output is to carry a spike mask (the next segment reads one, or the caller asked). */
  private wantsMask(k: number): boolean {
    return k === this.segments.length - 1 ? this.mask : !!this.segments[k + 1].fusion().readsSpikes;
  }

  backward(dy: Tensor): Tensor {
    return this.backwardFrom(dy, "plain");
  }

  /** dy is the caller's to drop (Module.backwardOwned): the last segment may write over it. */
  override backwardOwned(dy: Tensor): Tensor {
    return this.backwardFrom(dy, "owned");
  }

  /** backwardOwned, and dy is disposed once the last segment's first layer has read it (Sequential.backwardTaking). */
  backwardTaking(dy: Tensor): Tensor {
    return this.backwardFrom(dy, "taking");
  }

  private backwardFrom(dy: Tensor, mode: "plain" | "owned" | "taking"): Tensor {
    if (this.kept.length !== this.segments.length) throw new ExodusError("Checkpointed backward: expected a forward first, received none since the last backward");
    let g = dy;
    for (let k = this.segments.length - 1; k >= 0; k--) {
      const seg = this.segments[k];
      const kept = this.kept[k];
      if (k < this.segments.length - 1) {
        restore(kept.snapshot);
        if (kept.packed) {
          kept.views = [keep(unpack(kept.packed))];
          kept.packed = undefined;
        }
        // The segment owns its input's view and drops it once its first layer has run: a compact
        // Conv2d keeps bits, any other layer its own view, so the floats go before the rest runs.
        const x = kept.views[0].reshape(kept.views[0].shape);
        for (const v of kept.views) v.dispose();
        kept.views = [];
        seg.forwardActivation({ ...kept.input, x }, { ...(this.wantsMask(k) ? { mask: true } : {}), ownsInput: true, discardOutput: true }).x.dispose();
      }
      // g from the segment after: nothing reads it once this segment's first layer has taken it
      const next = g !== dy || mode === "taking" ? seg.backwardTaking(g) : mode === "owned" ? seg.backwardOwned(g) : seg.backward(g);
      if (g !== dy) g.dispose();
      g = next;
      seg.releaseCache();
      disposeKept(kept);
      if (!g.device.isCuda) native().emptyCache();
    }
    this.kept = [];
    return g;
  }

  override fusion() {
    return this.net.fusion();
  }

  /** The segment inputs (spikes as bits) and the last segment's caches, as float values. */
  override keptPerStep(s: readonly number[]): number {
    return checkpointedKept(forwardMemory(this.net, [1, 1, ...s]), this.starts) / 4;
  }

  protected release(): void {
    for (const k of this.kept) disposeKept(k);
    this.kept = [];
  }
}

/** The state a segment's forward changes besides its caches: batch norm's buffers, the neurons' carried states. */
function snapshot(seg: Module): Snapshot {
  const states: Snapshot["states"] = [];
  const walk = (m: Module) => {
    if (m instanceof NeuronLayer) states.push([m, m.states?.map((t) => keep(t.clone()))]);
    m.children().forEach(walk);
  };
  walk(seg);
  return { buffers: seg.buffers().map((b) => [b.value, keep(b.value.clone())]), states };
}

function restore(s: Snapshot): void {
  for (const [live, saved] of s.buffers) live.copyFrom(saved);
  for (const [layer, states] of s.states) {
    if (states) layer.setState(states);
    else layer.resetState();
  }
}

function disposeKept(k: Kept): void {
  k.packed = undefined;
  for (const v of k.views) v.dispose();
  for (const [, t] of k.snapshot.buffers) t.dispose();
  for (const [, st] of k.snapshot.states) for (const t of st ?? []) t.dispose();
  k.views = [];
  k.snapshot = { buffers: [], states: [] };
}
