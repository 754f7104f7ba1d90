// The `layout` option of a single layer (Linear, Conv2d, DelayLinear, every neuron layer): "TBN"
// (default) takes and returns time-major [T, B, …]; "BTN" makes the layer's own forward and
// backward take and return batch-first [B, T, …], transposed on the way in and out, as
// Sequential's option does for a whole network. Written once here, for every layer, by wrapping
// the instance's forward and backward, rather than in each layer.
//
// Inside a Sequential the tensors passed between layers are time-major whatever the Sequential's
// own layout, so a "BTN" layer there is refused (sequential.ts): the option belongs on the Sequential.
import { type Layout, checkLayout, fromTimeMajor, swapLeadingAxes, toTimeMajor } from "../layout.js";
import type { Tensor } from "../tensor.js";
import type { Module } from "./module.js";

/** A layer's options with the layout its forward takes. */
export interface LayoutOption {
  /** "TBN" (default): [T, B, …] in and out; "BTN": batch-first [B, T, …], transposed in and out. */
  layout?: Layout;
}

/** Checks a layer's layout option; for "BTN" wraps m's forward and backward. Returns the layout. */
export function applyLayout(m: Module, layer: string, v: unknown): Layout {
  const layout = checkLayout(`${layer} layout`, v);
  if (layout === "TBN") return layout;
  const forward = m.forward.bind(m);
  const backward = m.backward.bind(m) as (dy: Tensor, opts?: { dv?: Tensor }) => Tensor;
  m.forward = (x: Tensor): Tensor => {
    const xt = toTimeMajor(layer, x, layout);
    try {
      return fromTimeMajor(forward(xt), layout); // the layer keeps its own views of what backward needs
    } finally {
      xt.dispose();
    }
  };
  m.backward = (dy: Tensor, opts?: { dv?: Tensor }): Tensor => {
    const g = toTimeMajor(`${layer} backward`, dy, layout);
    const dv = opts?.dv && toTimeMajor(`${layer} backward dv`, opts.dv, layout);
    try {
      return fromTimeMajor(backward(g, dv ? { ...opts, dv } : opts), layout);
    } finally {
      g.dispose();
      dv?.dispose();
    }
  };
  return layout;
}

/** The layout of a layer that has the option (undefined for one that does not). */
export function layoutOf(m: Module): Layout | undefined {
  const v = (m as { layout?: unknown }).layout;
  return v === "TBN" || v === "BTN" ? v : undefined;
}
