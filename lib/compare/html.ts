// compare.html: the paper's Figure 2 for one data set, self-contained (inline SVG and CSS, no
// scripts, nothing fetched): validation accuracy per epoch for each method at each surrogate
// scale (mean over seeds, min–max band), the mean weight-gradient 2-norm of each layer per scale
// on a log axis (the centre column), forward/backward time per method, and a summary table.
import type { CellSummary, Stat } from "./aggregate.js";
import { coincidenceNote } from "../coincide.js";
import { barChart, esc, lineChart, range, type Series } from "./svg.js";
import type { NetworkTiming } from "./timing.js";

export interface CompareReport {
  created: string;
  dir: string;
  configPath?: string;
  /** One line describing the set-up (data, network, neuron, optimiser). */
  setup: string;
  device: string;
  epochs: number;
  methods: string[];
  scales: number[];
  seeds: number[];
  status: { runs: number; done: number; interrupted: boolean };
  layers: string[];
  cells: CellSummary[];
  timing?: NetworkTiming & { batchSize: number };
}

const STYLE: Record<string, { color: string; dash?: string; name: string }> = {
  exodus: { color: "#1f5fa8", name: "EXODUS" },
  slayer: { color: "#e07b1a", dash: "6 4", name: "SLAYER" },
  bptt: { color: "#2e8b3e", dash: "2 3", name: "BPTT" },
};
const style = (m: string) => STYLE[m] ?? { color: "#666", name: m };

const pct = (v: number) => (Number.isFinite(v) ? `${(100 * v).toFixed(1)}` : "—");
const pm = (s: Stat, fmt: (v: number) => string, unit = "") =>
  s.n === 0 ? "—" : s.n > 1 ? `${fmt(s.mean)} ± ${fmt(s.sd)}${unit}` : `${fmt(s.mean)}${unit}`;
const sci = (v: number) => (!Number.isFinite(v) ? "—" : v === 0 ? "0" : Math.abs(v) >= 0.01 && Math.abs(v) < 1000 ? v.toPrecision(3) : v.toExponential(2));
const ms = (s: number) => (s >= 1 ? `${s.toFixed(2)} s` : `${(1000 * s).toPrecision(3)} ms`);

/**
 * A chart, and under it a note when two methods' curves coincide (EXODUS's equal BPTT's to float
 * precision, so one line hides the other and a reader would think a method is missing).
 */
function withCoincidence(svg: string, series: Series[], width: number): string {
  const note = coincidenceNote(series.map((s) => ({ name: style(s.id.split("|")[1]).name, points: s.points })));
  return note ? `<figure style="margin:0;width:${width}px">${svg}<figcaption class="note">${esc(note)}</figcaption></figure>` : svg;
}

/** Layer names such as "0.Linear" as the paper numbers them: 1 (input side) … L (readout). */
export function layerLabel(layers: string[], l: string): string {
  const i = layers.indexOf(l);
  return `${i + 1}${i === 0 ? " (in)" : i === layers.length - 1 ? " (out)" : ""}`;
}

function accuracyCharts(r: CompareReport, width: number): string {
  const all = r.cells.flatMap((c) => c.acc.flatMap((s) => [s.min, s.max]));
  const y = range(all, false, true);
  y.max = Math.min(1, Math.max(y.max, 0.1));
  return r.scales
    .map((scale) => {
      const series: Series[] = r.cells
        .filter((c) => c.scale === scale)
        .map((c) => ({
          id: `acc|${c.method}|${scale}`,
          label: `${style(c.method).name}, scale ${scale}: validation accuracy, mean over ${c.bestAcc.n} seed(s)`,
          ...style(c.method),
          spread: "band" as const,
          points: c.evalEpochs.map((e, i) => ({ x: e, y: c.acc[i].mean, lo: c.acc[i].min, hi: c.acc[i].max })),
        }));
      return withCoincidence(lineChart({
        width, height: 250, title: `surrogate scale ${scale}`,
        x: { min: 1, max: Math.max(2, r.epochs), label: "epoch" },
        y: { ...y, label: "validation accuracy (%)", format: (v) => `${Math.round(100 * v)}` },
        series,
      }), series, width);
    })
    .join("\n");
}

function gradientCharts(r: CompareReport, width: number): string {
  const all = r.cells.flatMap((c) => Object.values(c.gradNormMean).flatMap((s) => [s.min, s.max]));
  const y = range(all, true);
  const ticks = r.layers.map((l, i) => ({ value: i + 1, label: layerLabel(r.layers, l) }));
  return r.scales
    .map((scale) => {
      const series: Series[] = r.cells
        .filter((c) => c.scale === scale)
        .map((c) => ({
          id: `grad|${c.method}|${scale}`,
          label: `${style(c.method).name}, scale ${scale}: mean weight-gradient 2-norm per layer`,
          ...style(c.method),
          spread: "bars" as const,
          points: r.layers.map((l, i) => {
            const s = c.gradNormMean[l];
            return { x: i + 1, y: s?.mean ?? NaN, lo: s?.min, hi: s?.max };
          }),
        }));
      return withCoincidence(lineChart({
        width, height: 250, title: `surrogate scale ${scale}`,
        x: { min: 0.7, max: r.layers.length + 0.3, label: "layer (input → readout)", ticks },
        y: { ...y, log: true, label: "‖∂L/∂W‖₂ (log)" },
        series,
      }), series, width);
    })
    .join("\n");
}

function timingChart(r: CompareReport): string {
  const t = r.timing;
  if (!t) return `<p class="note">No timing: it was switched off (--timing-repeats 0).</p>`;
  const methods = r.methods.filter((m) => t.methods[m as keyof typeof t.methods]);
  const get = (m: string) => t.methods[m as keyof typeof t.methods]!;
  // Ratios against the first method's median (EXODUS by default), measured in the same run.
  const base = methods[0];
  const bars = (k: "forward" | "backward") =>
    methods.map((m) => {
      const s = get(m)[k];
      const note = m !== base ? `(${(s.median / get(base)[k].median).toFixed(2)}× ${style(base).name}'s)` : undefined;
      return { id: `${k}|${m}`, label: style(m).name, color: style(m).color, value: s.median, lo: s.min, hi: s.max, note };
    });
  return barChart({
    width: 780, title: `Time per batch of ${t.batchSize} on ${t.device} (median of ${t.repeats} after ${t.warmup} warm-up)`,
    groups: [{ title: "backward", bars: bars("backward") }, { title: "forward + loss", bars: bars("forward") }],
    unit: "seconds per batch", format: ms,
  });
}

function legend(methods: string[], what: string): string {
  return `<div class="legend">${methods
    .map((m) => {
      const s = style(m);
      return `<span><svg width="34" height="10"><line x1="1" x2="33" y1="5" y2="5" stroke="${s.color}" stroke-width="2.4"${s.dash ? ` stroke-dasharray="${s.dash}"` : ""}/></svg>${esc(s.name)}</span>`;
    })
    .join("")}<span class="muted">${esc(what)}</span></div>`;
}

function table(r: CompareReport): string {
  const head = `<tr><th>method</th><th>scale</th><th>runs done</th><th>best val. acc. %</th><th>final val. acc. %</th>${r.layers
    .map((l) => `<th>final ‖∂L/∂W‖ layer ${esc(layerLabel(r.layers, l))}</th>`)
    .join("")}<th>s / epoch</th><th>backward s / epoch</th></tr>`;
  const rows = r.cells.map((c) => {
    const done = c.runs.filter((x) => x.state === "done").length;
    return `<tr><td><span class="swatch" style="background:${style(c.method).color}"></span>${esc(style(c.method).name)}</td><td>${c.scale}</td><td>${done}/${c.runs.length}</td><td>${pm(c.bestAcc, pct)}</td><td>${pm(c.finalAcc, pct)}</td>${r.layers
      .map((l) => `<td>${c.gradNormFinal[l] ? pm(c.gradNormFinal[l], sci) : "—"}</td>`)
      .join("")}<td>${pm(c.epochSeconds, (v) => v.toFixed(1))}</td><td>${pm(c.backwardSeconds, (v) => v.toFixed(2))}</td></tr>`;
  });
  return `<table><thead>${head}</thead><tbody>${rows.join("")}</tbody></table>`;
}

const CSS = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Helvetica,Arial,sans-serif;color:#1b1b1b;margin:24px auto;max-width:1200px;padding:0 16px;background:#fff}
h1{font-size:21px;margin:0 0 4px}h2{font-size:16px;margin:26px 0 2px}
.sub{color:#555;margin:0 0 4px}.muted{color:#777}.note{color:#555;font-size:13px;margin:4px 0}
.row{display:flex;flex-wrap:wrap;gap:6px}
.legend{display:flex;gap:18px;align-items:center;margin:6px 0 2px;font-size:13px}.legend span{display:flex;align-items:center;gap:5px}
svg text{font-family:system-ui,-apple-system,"Segoe UI",Helvetica,Arial,sans-serif;fill:#333}
.title{font-size:13px;font-weight:600}.group{font-size:12px;font-weight:600;fill:#555}
.ytick{font-size:11px;text-anchor:end;dominant-baseline:middle}.xtick{font-size:11px;text-anchor:middle}
.xlabel,.ylabel{font-size:12px;text-anchor:middle;fill:#555}
.grid{stroke:#e6e6e6}.axis{stroke:#999}
.line{fill:none;stroke-width:2.2}.band{opacity:.16;stroke:none}.errbar{stroke-width:1.4;opacity:.7}.whisker{stroke:#333;stroke-width:1.2}
.barlabel{font-size:12px;text-anchor:end}.barvalue{font-size:12px}.bar{opacity:.9}
table{border-collapse:collapse;margin-top:8px;font-size:13px}th,td{border-bottom:1px solid #e2e2e2;padding:4px 10px;text-align:right;white-space:nowrap}
th{background:#f5f5f5;font-weight:600;white-space:normal;vertical-align:bottom;max-width:120px}td:first-child,th:first-child{text-align:left}
.swatch{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:6px}
.status{display:inline-block;padding:1px 8px;border-radius:10px;background:#eef5ee;color:#256029;font-size:12px}.status.partial{background:#fff4e0;color:#8a5200}
code{font-size:12.5px;background:#f4f4f4;padding:1px 4px;border-radius:3px}
`;

export function renderCompareHtml(r: CompareReport): string {
  const cols = Math.max(1, r.scales.length);
  const width = Math.min(400, Math.floor((1168 - 6 * (cols - 1)) / cols));
  const partial = r.status.done < r.status.runs;
  const status = partial
    ? `<span class="status partial">${r.status.done} of ${r.status.runs} runs finished${r.status.interrupted ? " (interrupted: re-run the same command to continue)" : ""}</span>`
    : `<span class="status">all ${r.status.runs} runs finished</span>`;
  const methodsName = r.methods.map((m) => style(m).name).join(" vs ");
  const spreadNote = r.seeds.length > 1 ? `lines: mean over seeds ${r.seeds.join(", ")}; shading / bars: min–max over seeds` : `one seed (${r.seeds[0]}): no spread`;
  const data = JSON.stringify(r).replace(/</g, "\\u003c");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(methodsName)} — exodus compare</title>
<style>${CSS}</style></head><body>
<h1>${esc(methodsName)} across surrogate-gradient scales</h1>
<p class="sub">${esc(r.setup)}</p>
<p class="sub">${r.epochs} epoch${r.epochs > 1 ? "s" : ""} × seeds ${r.seeds.join(", ")} × scales ${r.scales.join(", ")} on ${esc(r.device)}; same seed ⇒ same initial weights and batch order for every method and scale. ${status}</p>
<h2>Validation accuracy per epoch</h2>
${legend(r.methods, spreadNote)}
<div class="row">${accuracyCharts(r, width)}</div>
<h2>Mean weight-gradient 2-norm per layer during training</h2>
<p class="note">Each seed's mean over its epochs of the per-epoch mean 2-norm of the layer's weight gradient (as the paper's Figure 2, centre column); log axis. SLAYER drops the reset's term of the gradient, which lets early-layer gradients grow at large scales.</p>
${legend(r.methods, r.seeds.length > 1 ? "bars: min–max over seeds" : "")}
<div class="row">${gradientCharts(r, width)}</div>
<h2>Speed</h2>
<p class="note">Forward and backward through the whole network on one training batch, same weights for every method${r.timing ? `; spike rate of the input ${pct(r.timing.inputRate)} %, of the spiking layers ${Object.values(r.timing.spikeRates).map(pct).join(" / ")} %` : ""}. Epoch times in the table include data loading and the optimiser.</p>
<div class="row">${timingChart(r)}</div>
<h2>Summary</h2>
<p class="note">Mean ± sample standard deviation over seeds. Gradient norms: the last epoch's mean 2-norm per layer (1 = input side). Seconds per epoch over every epoch of every seed: the whole training part, and its backward passes alone (as the trainer timed them).</p>
${table(r)}
<p class="note muted">Run folders: <code>${esc(r.dir)}/&lt;method&gt;-scale&lt;s&gt;-seed&lt;n&gt;</code> (metrics.jsonl, checkpoint, config.yaml)${r.configPath ? `; base config <code>${esc(r.configPath)}</code>` : ""}; written ${esc(r.created)} by exodus compare.</p>
<script type="application/json" id="compare-data">${data}</script>
</body></html>
`;
}
