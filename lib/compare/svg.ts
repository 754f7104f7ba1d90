// Minimal inline-SVG charts for compare.html (no scripts, no external files): line charts with
// a shaded spread band or error bars on a linear or log axis, and horizontal bars with whiskers.
// Every series element carries its values in data-* attributes, so tests can check what is drawn.

export interface Point {
  x: number;
  y: number;
  /** Spread around y (a band for lines, whiskers for bars). */
  lo?: number;
  hi?: number;
}

export interface Series {
  /** Stable id for tests, e.g. "acc|exodus|0.1". */
  id: string;
  label: string;
  color: string;
  dash?: string;
  points: Point[];
  /** "band": shaded lo–hi area; "bars": vertical error bars at the points. */
  spread?: "band" | "bars";
}

export interface Axis {
  min: number;
  max: number;
  log?: boolean;
  label?: string;
  /** Tick labels by value (categorical axes); default: numbers. */
  ticks?: { value: number; label: string }[];
  format?: (v: number) => string;
}

export interface LineChart {
  width: number;
  height: number;
  title: string;
  x: Axis;
  y: Axis;
  series: Series[];
}

export const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
const f = (v: number) => (Math.round(v * 10) / 10).toString();
const data = (v: number[]) => esc(JSON.stringify(v.map((x) => (Number.isFinite(x) ? x : null))));

/** Linear ticks at 1, 2 or 5 × 10^k steps, about `count` of them. */
export function niceTicks(min: number, max: number, count = 5): number[] {
  if (!(max > min)) return [min];
  const raw = (max - min) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const out: number[] = [];
  for (let v = Math.ceil(min / step - 1e-9) * step; v <= max + step * 1e-9; v += step) out.push(Math.abs(v) < step * 1e-9 ? 0 : v);
  return out;
}

/** Ticks at powers of ten (and 2, 5 × them when the range spans under three decades). */
export function logTicks(min: number, max: number): number[] {
  const lo = Math.floor(Math.log10(min));
  const hi = Math.ceil(Math.log10(max));
  const mult = hi - lo < 3 ? [1, 2, 5] : [1];
  const out: number[] = [];
  for (let e = lo; e <= hi; e++) for (const m of mult) {
    const v = m * 10 ** e;
    if (v >= min * (1 - 1e-9) && v <= max * (1 + 1e-9)) out.push(v);
  }
  return out;
}

/** A range that covers the values with some margin (powers of ten on a log axis). */
export function range(values: number[], log: boolean, includeZero = false): { min: number; max: number } {
  const v = values.filter((x) => Number.isFinite(x) && (!log || x > 0));
  if (v.length === 0) return log ? { min: 0.1, max: 10 } : { min: 0, max: 1 };
  let min = Math.min(...v);
  let max = Math.max(...v);
  if (log) {
    const a = Math.log10(min), b = Math.log10(max);
    const pad = Math.max(0.1, (b - a) * 0.05);
    return { min: 10 ** Math.floor(a - pad), max: 10 ** Math.ceil(b + pad) };
  }
  if (includeZero) min = Math.min(0, min);
  if (max === min) max = min + 1;
  const pad = (max - min) * 0.05;
  return { min: includeZero && min === 0 ? 0 : min - pad, max: max + pad };
}

export function fmtTick(v: number): string {
  if (v === 0) return "0";
  const a = Math.abs(v);
  if (a >= 1e4 || a < 1e-3) return v.toExponential(0).replace("e+", "e");
  return String(Number(v.toPrecision(3)));
}

const M = { left: 58, right: 12, top: 26, bottom: 40 };

/** The pixel map of an axis: [from, to] pixels for [min, max]. */
export function scaler(a: Axis, from: number, to: number): (v: number) => number {
  const t = (v: number) => (a.log ? Math.log10(v) : v);
  const lo = t(a.min), hi = t(a.max);
  return (v) => from + ((t(v) - lo) / (hi - lo || 1)) * (to - from);
}

export function lineChart(c: LineChart): string {
  const x0 = M.left, x1 = c.width - M.right, y0 = c.height - M.bottom, y1 = M.top;
  const sx = scaler(c.x, x0, x1);
  const sy = scaler(c.y, y0, y1);
  const clampY = (v: number) => Math.min(y0, Math.max(y1, sy(v)));
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${c.width}" height="${c.height}" viewBox="0 0 ${c.width} ${c.height}" role="img" aria-label="${esc(c.title)}">`);
  out.push(`<text x="${x0}" y="16" class="title">${esc(c.title)}</text>`);
  const yt = c.y.log ? logTicks(c.y.min, c.y.max) : niceTicks(c.y.min, c.y.max);
  const yfmt = c.y.format ?? fmtTick;
  for (const v of yt) {
    const y = f(sy(v));
    out.push(`<line x1="${x0}" x2="${x1}" y1="${y}" y2="${y}" class="grid"/><text x="${x0 - 5}" y="${y}" class="ytick">${esc(yfmt(v))}</text>`);
  }
  const xt = c.x.ticks ?? niceTicks(c.x.min, c.x.max, Math.min(8, Math.max(1, c.x.max - c.x.min))).filter((v) => Number.isInteger(v)).map((v) => ({ value: v, label: String(v) }));
  for (const t of xt) {
    const x = f(sx(t.value));
    out.push(`<line x1="${x}" x2="${x}" y1="${y0}" y2="${y0 + 4}" class="axis"/><text x="${x}" y="${y0 + 16}" class="xtick">${esc(t.label)}</text>`);
  }
  out.push(`<line x1="${x0}" x2="${x1}" y1="${y0}" y2="${y0}" class="axis"/><line x1="${x0}" x2="${x0}" y1="${y0}" y2="${y1}" class="axis"/>`);
  if (c.x.label) out.push(`<text x="${f((x0 + x1) / 2)}" y="${c.height - 6}" class="xlabel">${esc(c.x.label)}</text>`);
  if (c.y.label) out.push(`<text transform="translate(13 ${f((y0 + y1) / 2)}) rotate(-90)" class="ylabel">${esc(c.y.label)}</text>`);
  for (const s of c.series) {
    const pts = s.points.filter((p) => Number.isFinite(p.y) && (!c.y.log || p.y > 0));
    if (pts.length === 0) continue;
    const withSpread = pts.filter((p) => p.lo !== undefined && p.hi !== undefined && Number.isFinite(p.lo) && Number.isFinite(p.hi) && (!c.y.log || p.lo! > 0));
    if (s.spread === "band" && withSpread.length > 1) {
      const upper = withSpread.map((p) => `${f(sx(p.x))},${f(clampY(p.hi!))}`);
      const lower = withSpread.map((p) => `${f(sx(p.x))},${f(clampY(p.lo!))}`).reverse();
      out.push(`<polygon class="band" fill="${s.color}" points="${[...upper, ...lower].join(" ")}" data-band="${esc(s.id)}"/>`);
    }
    if (s.spread === "bars")
      for (const p of withSpread) {
        const x = f(sx(p.x));
        out.push(`<line class="errbar" stroke="${s.color}" x1="${x}" x2="${x}" y1="${f(clampY(p.lo!))}" y2="${f(clampY(p.hi!))}"/>`);
      }
    const coords = pts.map((p) => `${f(sx(p.x))},${f(sy(p.y))}`).join(" ");
    out.push(
      `<polyline class="line" stroke="${s.color}"${s.dash ? ` stroke-dasharray="${s.dash}"` : ""} points="${coords}" data-series="${esc(s.id)}" data-x="${data(pts.map((p) => p.x))}" data-y="${data(pts.map((p) => p.y))}"><title>${esc(s.label)}</title></polyline>`,
    );
    if (pts.length <= 30) for (const p of pts) out.push(`<circle class="dot" fill="${s.color}" cx="${f(sx(p.x))}" cy="${f(sy(p.y))}" r="2.6"/>`);
  }
  out.push("</svg>");
  return out.join("\n");
}

export interface Bar {
  id: string;
  label: string;
  color: string;
  value: number;
  lo: number;
  hi: number;
  /** Text at the end of the bar. */
  note?: string;
}

/** Horizontal bars with min–max whiskers, grouped under headings (e.g. forward, backward). */
export function barChart(c: { width: number; title: string; groups: { title: string; bars: Bar[] }[]; unit: string; format: (v: number) => string }): string {
  const rowH = 22, headH = 20, left = 150, right = 260;
  const height = 30 + c.groups.reduce((a, g) => a + headH + g.bars.length * rowH, 0) + 24;
  const max = Math.max(...c.groups.flatMap((g) => g.bars.map((b) => (Number.isFinite(b.hi) ? b.hi : b.value))).filter(Number.isFinite), 1e-12);
  const sx = (v: number) => left + (v / max) * (c.width - left - right);
  const out = [`<svg xmlns="http://www.w3.org/2000/svg" width="${c.width}" height="${height}" viewBox="0 0 ${c.width} ${height}" role="img" aria-label="${esc(c.title)}">`,
    `<text x="8" y="16" class="title">${esc(c.title)}</text>`];
  let y = 30;
  for (const g of c.groups) {
    out.push(`<text x="8" y="${y + 14}" class="group">${esc(g.title)}</text>`);
    y += headH;
    for (const b of g.bars) {
      const cy = y + rowH / 2;
      out.push(`<text x="${left - 8}" y="${cy + 4}" class="barlabel">${esc(b.label)}</text>`);
      out.push(`<rect x="${left}" y="${y + 4}" width="${f(Math.max(1, sx(b.value) - left))}" height="${rowH - 8}" fill="${b.color}" class="bar" data-bar="${esc(b.id)}" data-value="${b.value}"/>`);
      if (Number.isFinite(b.lo) && Number.isFinite(b.hi))
        out.push(`<line class="whisker" x1="${f(sx(b.lo))}" x2="${f(sx(b.hi))}" y1="${cy}" y2="${cy}"/><line class="whisker" x1="${f(sx(b.lo))}" x2="${f(sx(b.lo))}" y1="${cy - 4}" y2="${cy + 4}"/><line class="whisker" x1="${f(sx(b.hi))}" x2="${f(sx(b.hi))}" y1="${cy - 4}" y2="${cy + 4}"/>`);
      out.push(`<text x="${f(Math.max(sx(b.value), Number.isFinite(b.hi) ? sx(b.hi) : 0) + 6)}" y="${cy + 4}" class="barvalue">${esc(c.format(b.value))}${b.note ? ` ${esc(b.note)}` : ""}</text>`);
      y += rowH;
    }
  }
  out.push(`<line x1="${left}" x2="${left}" y1="30" y2="${y}" class="axis"/>`);
  out.push(`<text x="${left}" y="${y + 16}" class="xtick" text-anchor="start">${esc(c.unit)}; whiskers: min–max over repeats</text>`);
  out.push("</svg>");
  return out.join("\n");
}
