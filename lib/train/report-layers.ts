// Per-layer panels of report.html that stay readable for deep networks: up to LINE_LIMIT layers a
// line chart (one line per layer, a legend that fits), beyond that a layer × epoch heat map (one
// row per layer, every layer labelled, a colour key with values), so a 17-layer SEW-ResNet shows
// all its layers instead of a legend that overflows.
import { coincidenceNote } from "../coincide.js";
import { esc, fmtTick, lineChart, type Series } from "../plot.js";

/** More layers than this get a heat map. */
export const LINE_LIMIT = 8;

// Colour-blind-safe palette (Okabe–Ito), in order of use.
export const PALETTE = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442"];
// viridis at 0, ¼, ½, ¾, 1: perceptually uniform, readable in grey and by colour-blind readers
const VIRIDIS = [[68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37]];

function viridis(f: number): string {
  const t = Math.min(1, Math.max(0, f)) * (VIRIDIS.length - 1);
  const i = Math.min(VIRIDIS.length - 2, Math.floor(t));
  const u = t - i;
  const c = VIRIDIS[i].map((a, k) => Math.round(a + u * (VIRIDIS[i + 1][k] - a)));
  return `rgb(${c.join(",")})`;
}

export interface LayerPanel {
  title: string;
  /** Value label, e.g. "‖∂L/∂W‖₂" or "firing rate (%)". */
  unit: string;
  log: boolean;
  epochs: number[];
  /** Per layer, its value at each epoch (undefined: not measured). */
  layers: { name: string; values: (number | undefined)[] }[];
  empty: string;
}

/** The panel's SVG (a line chart or a heat map) and, under it, a note when lines coincide. */
export function layerPanel(p: LayerPanel): string {
  if (p.layers.length <= LINE_LIMIT) {
    const series: Series[] = p.layers.map((l, i) => ({
      name: l.name, color: PALETTE[i % PALETTE.length],
      points: p.epochs.flatMap((e, k) => (l.values[k] === undefined ? [] : [{ x: e, y: l.values[k]! }])),
    }));
    const note = coincidenceNote(series);
    return lineChart({ title: p.title, xLabel: "epoch", yLabel: `${p.unit}${p.log ? " (log scale)" : ""}`, xInteger: true, yLog: p.log, series, empty: p.empty }) +
      (note ? `<p class="note">${esc(note)}</p>` : "");
  }
  return layerHeatmap(p);
}

export function layerHeatmap(p: LayerPanel): string {
  const n = p.layers.length;
  const m = Math.max(1, p.epochs.length);
  const labelW = Math.min(150, 12 + 6.2 * Math.max(...p.layers.map((l) => l.name.length)));
  const rowH = Math.max(7, Math.min(18, Math.floor(420 / n)));
  const W = 560;
  const L = labelW + 8;
  const keyW = 80;
  const T = 44;
  const plotW = W - L - keyW - 10;
  const cellW = plotW / m;
  const H = T + n * rowH + 46;
  const vals = p.layers.flatMap((l) => l.values).filter((v): v is number => v !== undefined && Number.isFinite(v) && (!p.log || v > 0));
  const f = (v: number) => (p.log ? Math.log10(v) : v);
  const lo = vals.length ? Math.min(...vals.map(f)) : 0;
  const hi = vals.length ? Math.max(...vals.map(f)) : 1;
  const frac = (v: number) => (hi > lo ? (f(v) - lo) / (hi - lo) : 0.5);
  let body = "";
  p.layers.forEach((l, i) => {
    const y = T + i * rowH;
    l.values.forEach((v, k) => {
      const fill = v === undefined || !Number.isFinite(v) ? "#eee" : p.log && v <= 0 ? "#000" : viridis(frac(v));
      body += `<rect x="${(L + k * cellW).toFixed(2)}" y="${y}" width="${(cellW + 0.3).toFixed(2)}" height="${rowH}" fill="${fill}" data-layer="${esc(l.name)}" data-x="${p.epochs[k]}" data-y="${v ?? ""}"><title>${esc(l.name)}, epoch ${p.epochs[k]}: ${v === undefined ? "–" : fmtTick(v)}</title></rect>`;
    });
    if (rowH >= 9 || i % 2 === 0)
      body += `<text x="${L - 5}" y="${y + rowH / 2 + 3.5}" text-anchor="end" font-size="${rowH >= 11 ? 11 : 9}">${esc(l.name)}</text>`;
  });
  // epoch ticks: at most ~8 labels
  const step = Math.max(1, Math.ceil(m / 8));
  p.epochs.forEach((e, k) => {
    if (k % step !== 0 && (k !== m - 1 || (m - 1) % step < Math.max(2, step / 2))) return; // the last epoch, unless it would touch the previous label
    const x = L + (k + 0.5) * cellW;
    body += `<text x="${x.toFixed(1)}" y="${T + n * rowH + 14}" text-anchor="middle" font-size="10">${e}</text>`;
  });
  body += `<text x="${L + plotW / 2}" y="${H - 10}" text-anchor="middle">epoch</text>`;
  // colour key with its values
  const kx = L + plotW + 18;
  const kh = Math.min(160, n * rowH);
  for (let s = 0; s < 32; s++) body += `<rect x="${kx}" y="${(T + (s * kh) / 32).toFixed(1)}" width="14" height="${(kh / 32 + 0.5).toFixed(1)}" fill="${viridis(1 - s / 31)}"/>`;
  const label = (v: number) => fmtTick(p.log ? 10 ** v : v);
  body += `<text x="${kx + 18}" y="${T + 8}" font-size="10">${label(hi)}</text><text x="${kx + 18}" y="${T + kh}" font-size="10">${label(lo)}</text>`;
  if (p.log) body += `<text x="${kx - 2}" y="${T + kh + 16}" font-size="10">log colour</text>`; // the unit is in the subtitle
  if (!vals.length) body += `<text x="${L + plotW / 2}" y="${T + (n * rowH) / 2}" text-anchor="middle" fill="#777">${esc(p.empty)}</text>`;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="system-ui, sans-serif" font-size="12" class="heatmap">` +
    `<rect width="${W}" height="${H}" fill="white"/><text x="${W / 2}" y="20" text-anchor="middle" font-size="14" font-weight="600">${esc(p.title)}</text>` +
    `<text x="${W / 2}" y="36" text-anchor="middle" font-size="11" fill="#555">${n} layers (rows) × ${p.epochs.length} epochs; colour: ${esc(p.unit)}${p.log ? ", log scale" : ""}</text>${body}</svg>`;
}
