// Curves drawn exactly over each other look like one curve: EXODUS's gradients equal BPTT's to
// float precision, so in a chart one hides the other. Charts say so in a note instead.

export interface Curve {
  name: string;
  points: readonly { x: number; y: number }[];
}

/**
 * Pairs of curves with the same x values whose y values agree within relTol (relative to the
 * larger magnitude) at every point, with their largest relative difference.
 */
export function coincidentPairs(curves: readonly Curve[], relTol = 1e-6): { a: string; b: string; maxRel: number }[] {
  const out: { a: string; b: string; maxRel: number }[] = [];
  const usable = curves.filter((c) => c.points.some((p) => Number.isFinite(p.y)));
  for (let i = 0; i < usable.length; i++)
    for (let j = i + 1; j < usable.length; j++) {
      const [p, q] = [usable[i].points.filter((t) => Number.isFinite(t.y)), usable[j].points.filter((t) => Number.isFinite(t.y))];
      if (p.length !== q.length || p.length === 0) continue;
      let maxRel = 0;
      let same = true;
      for (let k = 0; k < p.length && same; k++) {
        if (p[k].x !== q[k].x) same = false;
        const d = Math.abs(p[k].y - q[k].y) / Math.max(Math.abs(p[k].y), Math.abs(q[k].y), 1e-300);
        maxRel = Math.max(maxRel, d);
        if (d > relTol) same = false;
      }
      if (same) out.push({ a: usable[i].name, b: usable[j].name, maxRel });
    }
  return out;
}

/** One sentence per coinciding pair, or "" when none. */
export function coincidenceNote(curves: readonly Curve[], relTol = 1e-6): string {
  return coincidentPairs(curves, relTol)
    .map(({ a, b, maxRel }) => `${a} and ${b} coincide at every point (${maxRel === 0 ? "identical values" : `largest relative difference ${maxRel.toExponential(1)}`}): one curve is drawn over the other.`)
    .join(" ");
}
