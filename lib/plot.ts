// Self-contained SVG charts (no library, no network): line charts on a linear or log axis,
// stacked bars, a heat map with counts, and the axes they share (ticks at 1-2-5 steps, labels
// with units, legends). Used by the run report, `exodus eval` and `exodus data inspect`.
//
// Every plotted point carries its exact value as data attributes (data-series, data-x, data-y),
// so a test can read back what a chart shows and compare it with the numbers it came from.

export interface Series {
  name: string;
  color: string;
  points: { x: number; y: number }[];
  dash?: string;
}

export interface Box {
  width: number;
  height: number;
}

const FONT = `font-family="system-ui, -apple-system, 'Segoe UI', Helvetica, Arial, sans-serif"`;
const M = { left: 64, right: 16, top: 34, bottom: 46 };

export function esc(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/** A tick label: few digits, no float noise (0.30000000000000004 → 0.3). */
export function fmtTick(v: number): string {
  if (v === 0) return "0";
  const a = Math.abs(v);
  if (a >= 1e5 || a < 1e-3) return v.toExponential(0).replace("e+", "e");
  return String(Number(v.toPrecision(4)));
}

/** Ticks at 1, 2 or 5 × 10^k covering [lo, hi], about `count` of them. */
export function niceTicks(lo: number, hi: number, count = 5): { lo: number; hi: number; ticks: number[] } {
  if (!(hi > lo)) {
    const pad = Math.abs(lo) > 0 ? Math.abs(lo) * 0.1 : 1;
    return niceTicks(lo - pad, hi + pad, count);
  }
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((f) => f * mag).find((s) => s >= raw) ?? 10 * mag;
  const first = Math.floor(lo / step + 1e-9) * step;
  const last = Math.ceil(hi / step - 1e-9) * step;
  const ticks: number[] = [];
  for (let v = first; v <= last + step * 1e-6; v += step) ticks.push(Number(v.toPrecision(12)));
  return { lo: first, hi: last, ticks };
}

/** Decades covering [lo, hi] (both > 0). */
function logTicks(lo: number, hi: number): { lo: number; hi: number; ticks: number[] } {
  const a = Math.floor(Math.log10(lo));
  const b = Math.max(a + 1, Math.ceil(Math.log10(hi)));
  const ticks: number[] = [];
  for (let k = a; k <= b; k++) ticks.push(10 ** k);
  return { lo: 10 ** a, hi: 10 ** b, ticks };
}

/** Integer ticks for an epoch axis: every epoch when few, else a 1-2-5 step. */
function intTicks(lo: number, hi: number): { lo: number; hi: number; ticks: number[] } {
  if (hi - lo <= 12) return { lo: lo - 0.5, hi: hi + 0.5, ticks: Array.from({ length: hi - lo + 1 }, (_, i) => lo + i) };
  const t = niceTicks(lo, hi, 8);
  return { lo: lo - 0.5, hi: hi + 0.5, ticks: t.ticks.filter((v) => v >= lo && v <= hi && Number.isInteger(v)) };
}

function frame(box: Box, title: string, body: string): string {
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${box.width}" height="${box.height}" viewBox="0 0 ${box.width} ${box.height}" ${FONT} font-size="12">` +
    `<rect width="100%" height="100%" fill="white"/>` +
    `<text x="${box.width / 2}" y="20" text-anchor="middle" font-size="14" font-weight="600">${esc(title)}</text>${body}</svg>`
  );
}

interface Axis {
  lo: number;
  hi: number;
  ticks: number[];
  log?: boolean;
  labels?: string[];
}

function axes(box: Box, x: Axis, y: Axis, xLabel: string, yLabel: string, px: (v: number) => number, py: (v: number) => number): string {
  const L = M.left;
  const R = box.width - M.right;
  const T = M.top;
  const B = box.height - M.bottom;
  let s = `<g stroke="#e3e3e3" stroke-width="1">`;
  for (const t of y.ticks) s += `<line x1="${L}" x2="${R}" y1="${py(t).toFixed(1)}" y2="${py(t).toFixed(1)}"/>`;
  s += `</g><g stroke="#333" stroke-width="1" fill="none"><path d="M${L},${T} V${B} H${R}"/>`;
  for (const t of y.ticks) s += `<line x1="${L - 5}" x2="${L}" y1="${py(t).toFixed(1)}" y2="${py(t).toFixed(1)}"/>`;
  for (const t of x.ticks) s += `<line x1="${px(t).toFixed(1)}" x2="${px(t).toFixed(1)}" y1="${B}" y2="${B + 5}"/>`;
  if (y.log)
    for (let d = y.lo; d < y.hi; d *= 10)
      for (let k = 2; k < 10; k++) s += `<line x1="${L - 3}" x2="${L}" y1="${py(d * k).toFixed(1)}" y2="${py(d * k).toFixed(1)}"/>`;
  s += `</g><g fill="#333">`;
  y.ticks.forEach((t, i) => (s += `<text x="${L - 8}" y="${(py(t) + 4).toFixed(1)}" text-anchor="end">${esc(y.labels?.[i] ?? fmtTick(t))}</text>`));
  x.ticks.forEach((t, i) => (s += `<text x="${px(t).toFixed(1)}" y="${B + 18}" text-anchor="middle">${esc(x.labels?.[i] ?? fmtTick(t))}</text>`));
  s += `</g><text x="${(L + R) / 2}" y="${box.height - 8}" text-anchor="middle">${esc(xLabel)}</text>`;
  s += `<text transform="translate(14 ${(T + B) / 2}) rotate(-90)" text-anchor="middle">${esc(yLabel)}</text>`;
  return s;
}

function legend(box: Box, items: { name: string; color: string; dash?: string; bar?: boolean }[]): string {
  // One row under the title, right-aligned; long legends wrap to a second row.
  let s = "";
  let x = box.width - M.right;
  let row = 0;
  const widths = items.map((it) => 24 + it.name.length * 6.6 + 12);
  for (let i = items.length - 1; i >= 0; i--) {
    if (x - widths[i] < M.left && row === 0) {
      row = 1;
      x = box.width - M.right;
    }
    x -= widths[i];
    const it = items[i];
    const y = M.top + 10 + row * 16;
    s += it.bar
      ? `<rect x="${x.toFixed(1)}" y="${y - 6}" width="16" height="10" fill="${it.color}"/>`
      : `<line x1="${x.toFixed(1)}" x2="${(x + 18).toFixed(1)}" y1="${y - 1}" y2="${y - 1}" stroke="${it.color}" stroke-width="2.5"${it.dash ? ` stroke-dasharray="${it.dash}"` : ""}/>`;
    s += `<text x="${(x + 22).toFixed(1)}" y="${y + 3}">${esc(it.name)}</text>`;
  }
  return `<g font-size="11">${s}</g>`;
}

export interface LineChartOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  series: Series[];
  box?: Box;
  /** Log-scale y (values ≤ 0 are left out, say so in the title). */
  yLog?: boolean;
  /** Fixed y range (e.g. accuracy 0–100 %). */
  yRange?: [number, number];
  /** Integer x (epochs): a tick per epoch when few. */
  xInteger?: boolean;
  /** Shown instead of a chart when there is nothing to plot. */
  empty?: string;
}

export function lineChart(o: LineChartOptions): string {
  const box = o.box ?? { width: 560, height: 330 };
  const pts = o.series.flatMap((s) => s.points).filter((p) => Number.isFinite(p.y) && (!o.yLog || p.y > 0));
  if (pts.length === 0)
    return frame(box, o.title, `<text x="${box.width / 2}" y="${box.height / 2}" text-anchor="middle" fill="#777">${esc(o.empty ?? "no data yet")}</text>`);
  const xs = pts.map((p) => p.x);
  const ys = pts.map((p) => p.y);
  const [x0, x1] = [Math.min(...xs), Math.max(...xs)];
  const x: Axis = o.xInteger ? intTicks(x0, x1) : niceTicks(x0, x1, 6);
  const y: Axis = o.yLog
    ? { ...logTicks(Math.min(...ys), Math.max(...ys)), log: true }
    : niceTicks(o.yRange?.[0] ?? Math.min(...ys), o.yRange?.[1] ?? Math.max(...ys), 5);
  if (o.yRange && !o.yLog) Object.assign(y, { lo: o.yRange[0], hi: o.yRange[1] });
  const L = M.left;
  const R = box.width - M.right;
  const T = M.top + 8 + (o.series.length > 3 ? 16 : 0) + 12; // room for the legend
  const B = box.height - M.bottom;
  const px = (v: number) => L + ((v - x.lo) / (x.hi - x.lo)) * (R - L);
  const f = (v: number) => (o.yLog ? Math.log10(v) : v);
  const py = (v: number) => B - ((f(v) - f(y.lo)) / (f(y.hi) - f(y.lo))) * (B - T);
  let body = axes(box, x, y, o.xLabel, o.yLabel, px, (v) => (v === y.hi ? T : py(v)));
  for (const s of o.series) {
    const ok = s.points.filter((p) => Number.isFinite(p.y) && (!o.yLog || p.y > 0));
    if (ok.length === 0) continue;
    const d = ok.map((p, i) => `${i ? "L" : "M"}${px(p.x).toFixed(1)},${py(p.y).toFixed(1)}`).join(" ");
    body += `<path d="${d}" fill="none" stroke="${s.color}" stroke-width="2"${s.dash ? ` stroke-dasharray="${s.dash}"` : ""}/>`;
    body += `<g fill="${s.color}">`;
    for (const p of ok)
      body += `<circle cx="${px(p.x).toFixed(1)}" cy="${py(p.y).toFixed(1)}" r="${ok.length > 60 ? 1.5 : 3}" data-series="${esc(s.name)}" data-x="${p.x}" data-y="${p.y}"><title>${esc(s.name)}: ${fmtTick(p.y)} at ${p.x}</title></circle>`;
    body += `</g>`;
  }
  body += legend(box, o.series);
  return frame(box, o.title, body);
}

export interface StackedBarOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  /** x of each bar (epochs). */
  x: number[];
  stacks: { name: string; color: string; values: number[] }[];
  box?: Box;
}

export function stackedBars(o: StackedBarOptions): string {
  const box = o.box ?? { width: 560, height: 330 };
  if (o.x.length === 0) return frame(box, o.title, `<text x="${box.width / 2}" y="${box.height / 2}" text-anchor="middle" fill="#777">no data yet</text>`);
  const totals = o.x.map((_, i) => o.stacks.reduce((s, st) => s + (st.values[i] ?? 0), 0));
  const x: Axis = intTicks(Math.min(...o.x), Math.max(...o.x));
  const y: Axis = niceTicks(0, Math.max(...totals, 1e-9), 5);
  const L = M.left;
  const R = box.width - M.right;
  const T = M.top + 8 + (o.stacks.length > 3 ? 16 : 0) + 12;
  const B = box.height - M.bottom;
  const px = (v: number) => L + ((v - x.lo) / (x.hi - x.lo)) * (R - L);
  const py = (v: number) => B - ((v - y.lo) / (y.hi - y.lo)) * (B - T);
  let body = axes(box, x, y, o.xLabel, o.yLabel, px, py);
  const w = Math.max(2, Math.min(40, ((R - L) / o.x.length) * 0.7));
  o.x.forEach((xv, i) => {
    let acc = 0;
    for (const st of o.stacks) {
      const v = st.values[i] ?? 0;
      const top = py(acc + v);
      body += `<rect x="${(px(xv) - w / 2).toFixed(1)}" y="${top.toFixed(1)}" width="${w.toFixed(1)}" height="${Math.max(0, py(acc) - top).toFixed(1)}" fill="${st.color}" data-series="${esc(st.name)}" data-x="${xv}" data-y="${v}"><title>${esc(st.name)}: ${fmtTick(v)} s in epoch ${xv}</title></rect>`;
      acc += v;
    }
  });
  body += legend(box, o.stacks.map((s) => ({ ...s, bar: true })));
  return frame(box, o.title, body);
}

export interface HeatmapOptions {
  title: string;
  subtitle?: string;
  rowLabel: string;
  colLabel: string;
  rows: string[];
  cols: string[];
  /** Counts, row-major; colours show each row's fraction. */
  counts: number[][];
}

/** A confusion matrix: rows true classes, columns predictions, cells coloured by row fraction. */
export function heatmap(o: HeatmapOptions): string {
  const n = o.rows.length;
  const m = o.cols.length;
  const cell = Math.max(18, Math.min(48, Math.floor(560 / Math.max(n, m))));
  const labelW = Math.min(160, 14 + 7 * Math.max(...o.rows.map((r) => r.length), 3));
  const labelH = Math.min(140, 14 + 6 * Math.max(...o.cols.map((c) => c.length), 3));
  const L = 30 + labelW;
  const T = o.subtitle ? 56 : 40;
  const W = Math.max(L + m * cell + 90, 40 + 7.5 * Math.max(o.title.length, o.subtitle?.length ?? 0));
  const H = T + n * cell + labelH + 30;
  let body = "";
  o.counts.forEach((row, i) => {
    const total = row.reduce((a, b) => a + b, 0) || 1;
    row.forEach((c, j) => {
      const f = c / total;
      const shade = Math.round(255 - 200 * f);
      const fill = c === 0 ? "#f4f4f4" : `rgb(${shade},${Math.round(255 - 130 * f)},255)`;
      body += `<rect x="${L + j * cell}" y="${T + i * cell}" width="${cell}" height="${cell}" fill="${fill}" stroke="#fff" data-row="${i}" data-col="${j}" data-count="${c}"><title>true ${esc(o.rows[i])}, predicted ${esc(o.cols[j])}: ${c}</title></rect>`;
      if (c > 0 && cell >= 18)
        body += `<text x="${L + j * cell + cell / 2}" y="${T + i * cell + cell / 2 + 4}" text-anchor="middle" font-size="${cell >= 30 ? 11 : 9}" fill="${f > 0.55 ? "white" : "#222"}">${c}</text>`;
    });
    body += `<text x="${L - 6}" y="${T + i * cell + cell / 2 + 4}" text-anchor="end">${esc(o.rows[i])}</text>`;
  });
  o.cols.forEach((c, j) => {
    const x = L + j * cell + cell / 2 + 4;
    body += `<text transform="translate(${x} ${T + n * cell + 8}) rotate(-50)" text-anchor="end">${esc(c)}</text>`;
  });
  body += `<path d="M${L},${T} V${T + n * cell} H${L + m * cell}" stroke="#333" fill="none"/>`;
  body += `<text transform="translate(14 ${T + (n * cell) / 2}) rotate(-90)" text-anchor="middle">${esc(o.rowLabel)}</text>`;
  body += `<text x="${L + (m * cell) / 2}" y="${H - 8}" text-anchor="middle">${esc(o.colLabel)}</text>`;
  // colour key: fraction of the true class
  const kx = L + m * cell + 24;
  for (let k = 0; k <= 10; k++) {
    const f = 1 - k / 10;
    body += `<rect x="${kx}" y="${T + k * 12}" width="14" height="12" fill="rgb(${Math.round(255 - 200 * f)},${Math.round(255 - 130 * f)},255)"/>`;
  }
  body += `<text x="${kx + 18}" y="${T + 9}" font-size="10">100 %</text><text x="${kx + 18}" y="${T + 129}" font-size="10">0 %</text>`;
  body += `<text x="${kx}" y="${T + 148}" font-size="10">of row</text>`;
  if (o.subtitle) body += `<text x="${W / 2}" y="38" text-anchor="middle" fill="#555">${esc(o.subtitle)}</text>`;
  return frame({ width: W, height: H }, o.title, body);
}

/** Axes around an arbitrary plot area (rasters): returns the frame and the pixel mappings. */
export function axesFrame(
  box: Box,
  title: string,
  x: { lo: number; hi: number; label: string },
  y: { lo: number; hi: number; label: string },
  content: (px: (v: number) => number, py: (v: number) => number) => string,
): string {
  const xa = niceTicks(x.lo, x.hi, 8);
  const ya = niceTicks(y.lo, y.hi, 6);
  const xt = { lo: x.lo, hi: x.hi, ticks: xa.ticks.filter((t) => t >= x.lo && t <= x.hi) };
  const yt = { lo: y.lo, hi: y.hi, ticks: ya.ticks.filter((t) => t >= y.lo && t <= y.hi) };
  const L = M.left;
  const R = box.width - M.right;
  const T = M.top;
  const B = box.height - M.bottom;
  const px = (v: number) => L + ((v - x.lo) / (x.hi - x.lo)) * (R - L);
  const py = (v: number) => B - ((v - y.lo) / (y.hi - y.lo)) * (B - T);
  return frame(box, title, content(px, py) + axes(box, xt, yt, x.label, y.label, px, py));
}
