// report.html of a run: one self-contained page (inline SVG, no script, no network) a researcher
// can open during or after training — loss and accuracy per epoch, per-layer weight-gradient norms
// on a log axis (the paper's Figure 2, centre column), per-layer firing rates, and where each
// epoch's time went. Built from metrics.jsonl alone, so the page shows exactly what the file holds.
import { coincidenceNote } from "../coincide.js";
import { esc, lineChart, stackedBars } from "../plot.js";
import type { EpochMetrics, TrainConfig } from "./types.js";
import { describeOptimizer } from "./optimizers/index.js";
import { PALETTE, layerPanel } from "./report-layers.js";

function pts(epochs: EpochMetrics[], get: (m: EpochMetrics) => number | undefined): { x: number; y: number }[] {
  return epochs.flatMap((m) => {
    const y = get(m);
    return y === undefined ? [] : [{ x: m.epoch, y }];
  });
}

function layerValues(epochs: EpochMetrics[], pick: (m: EpochMetrics) => Record<string, number> | undefined, scale = 1): { name: string; values: (number | undefined)[] }[] {
  const names = [...new Set(epochs.flatMap((m) => Object.keys(pick(m) ?? {})))];
  return names.map((name) => ({ name, values: epochs.map((m) => { const v = pick(m)?.[name]; return v === undefined ? undefined : v * scale; }) }));
}

const withNote = (svg: string, curves: Parameters<typeof coincidenceNote>[0]) => {
  const note = coincidenceNote(curves);
  return note ? `${svg}<p class="note">${esc(note)}</p>` : svg;
};

function pct(v: number | undefined): string {
  return v === undefined ? "–" : `${(100 * v).toFixed(1)} %`;
}

export function renderReport(cfg: TrainConfig, epochs: EpochMetrics[]): string {
  const last = epochs.at(-1);
  const evalName = cfg.train.evalSplit;
  const withEval = epochs.filter((m) => m.eval);
  const best = withEval.reduce<EpochMetrics | undefined>((b, m) => (!b || m.eval!.acc > b.eval!.acc ? m : b), undefined);
  const surrogate = cfg.neuron.surrogate;
  const m = cfg.model;
  const model = m.kind === "mlp" ? `mlp, hidden ${m.hidden.join("–")}` : m.kind === "conv" ? `conv, channels ${m.channels.join("–")} + ${m.extraConvs}` : m.kind === "nir" ? `imported NIR graph ${m.graph}` : `layer list of ${m.layers.length} layers`;
  const rows: [string, string][] = [
    ["data set", `${cfg.dataset.name} (evaluated on ${evalName})`],
    ["method", cfg.method],
    ["model", `${model}, initScale ${cfg.model.initScale}`],
    ["neuron", `${cfg.neuron.type}${cfg.neuron.type === "lif" ? `, τ ${cfg.neuron.tauMem} steps` : ""}, θ ${cfg.neuron.threshold}, surrogate ${surrogate.name} (scale ${surrogate.scale}, width ${surrogate.width})`],
    ["readout", cfg.loss.readout],
    ["training", `${cfg.train.optimizer ? describeOptimizer(cfg.train) : `Adam lr ${cfg.train.lr}, weight decay ${cfg.train.weightDecay}`}, batch ${cfg.train.batchSize}, seed ${cfg.train.seed}`],
    ["epochs", `${last?.epoch ?? 0} of ${cfg.train.epochs}${last && last.epoch < cfg.train.epochs ? " (running or interrupted)" : ""}`],
    ["device", cfg.device],
  ];
  const headline = last
    ? `${evalName} accuracy ${pct(last.eval?.acc)} after epoch ${last.epoch}` + (best && best !== last ? ` (best ${pct(best.eval?.acc)} at epoch ${best.epoch})` : "") +
      ` · train loss ${last.train.loss.toFixed(4)} · ${epochs.reduce((s, m) => s + m.train.seconds + (m.time?.eval ?? 0), 0).toFixed(1)} s of training and evaluation`
    : "no epoch finished yet";
  const warnings = epochs.flatMap((m) => m.warnings ?? []);

  // Log scale: the loss falls by orders of magnitude, and the late epochs are where runs differ.
  const lossSeries = [
    { name: "train", color: PALETTE[0], points: pts(epochs, (m) => m.train.loss) },
    { name: evalName, color: PALETTE[1], dash: "6 3", points: pts(epochs, (m) => m.eval?.loss) },
  ];
  const loss = withNote(lineChart({ title: "Loss (cross-entropy)", xLabel: "epoch", yLabel: "loss (nats, log scale)", xInteger: true, yLog: true, series: lossSeries }), lossSeries);
  const acc = lineChart({
    title: "Accuracy", xLabel: "epoch", yLabel: "accuracy (%)", xInteger: true, yRange: [0, 100],
    series: [
      { name: "train", color: PALETTE[0], points: pts(epochs, (m) => 100 * m.train.acc) },
      { name: evalName, color: PALETTE[1], dash: "6 3", points: pts(epochs, (m) => (m.eval ? 100 * m.eval.acc : undefined)) },
    ],
  });
  const epochNumbers = epochs.map((m) => m.epoch);
  const grads = layerPanel({
    title: "Weight-gradient norm per layer (mean over the epoch's steps)", unit: "‖∂L/∂W‖₂", log: true, epochs: epochNumbers,
    layers: layerValues(epochs, (m) => m.gradNorm), empty: "all gradients are zero: the network is silent (see the warnings)",
  });
  const rates = layerPanel({
    title: "Firing rate of every spiking layer", unit: "spikes per neuron per step (%)", log: false, epochs: epochNumbers,
    layers: layerValues(epochs, (m) => m.firingRate, 100), empty: "no spiking layers",
  });
  const time = stackedBars({
    title: "Time per epoch", xLabel: "epoch", yLabel: "seconds", x: epochs.map((m) => m.epoch),
    stacks: (["data", "forward", "backward", "optimizer", "eval"] as const).map((k, i) => ({
      name: k === "eval" ? `eval (${evalName})` : k, color: PALETTE[[5, 0, 1, 2, 4][i]], values: epochs.map((m) => m.time?.[k] ?? 0),
    })),
  });

  // The schedule's rate at each epoch's last step, when it changes (a constant rate is in the table).
  const lrPoints = pts(epochs, (m) => m.lr);
  const lr = new Set(lrPoints.map((p) => p.y)).size > 1
    ? lineChart({ title: "Learning rate (at each epoch's last step)", xLabel: "epoch", yLabel: "learning rate (log scale)", xInteger: true, yLog: true, series: [{ name: "lr", color: PALETTE[2], points: lrPoints }] })
    : "";

  const table = rows.map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(v)}</td></tr>`).join("");
  const warn = warnings.length ? `<div class="warn"><b>Warnings</b><ul>${warnings.map((w) => `<li>${esc(w)}</li>`).join("")}</ul></div>` : "";
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>exodus run ${esc(cfg.output)}</title>
<style>
body { font-family: system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; margin: 24px; color: #222; max-width: 1180px; }
h1 { font-size: 20px; margin: 0 0 4px; } .sub { color: #555; margin-bottom: 14px; }
table { border-collapse: collapse; font-size: 13px; margin-bottom: 14px; } th { text-align: left; padding: 2px 14px 2px 0; color: #555; font-weight: 500; } td { padding: 2px 0; }
.grid { display: grid; grid-template-columns: repeat(2, 560px); gap: 16px 24px; } .grid svg { border: 1px solid #ddd; }
.note { font-size: 12px; color: #555; margin: 4px 2px 0; max-width: 560px; }
.warn { background: #fff4e5; border: 1px solid #f0b060; padding: 8px 12px; margin-bottom: 14px; font-size: 13px; } .warn ul { margin: 4px 0 0 16px; padding: 0; }
footer { color: #777; font-size: 12px; margin-top: 16px; }
</style></head><body>
<h1>exodus run: ${esc(cfg.output)}</h1>
<div class="sub">${esc(headline)}</div>
<table>${table}</table>
${warn}<div class="grid">
<figure style="margin:0">${loss}</figure>
<figure style="margin:0">${acc}</figure>
<figure style="margin:0">${grads}</figure>
<figure style="margin:0">${rates}</figure>
<figure style="margin:0">${time}</figure>
${lr ? `<figure style="margin:0">${lr}</figure>` : ""}
</div>
<footer>Rewritten after every epoch from metrics.jsonl (also metrics.csv); the resolved config is config.yaml. Gradient norms are the 2-norm of each layer's weight gradient, averaged over the epoch's steps; firing rates are spikes over possible spikes (neurons × steps × samples) in the epoch's training passes.</footer>
</body></html>
`;
}
