// A run folder a person can read: config.yaml, metrics.csv and report.html after every epoch (the
// report's plotted numbers equal metrics.jsonl; rendered with Chromium when it is installed),
// firing rates and time per phase in the metrics, a warning for a silent network, and `exodus eval`.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { Command } from "commander";
import { describe, expect, it, vi } from "vitest";
import { parse } from "yaml";
import { register as registerEval } from "../../bin/commands/eval.js";
import { validateConfig } from "../../lib/train/config.js";
import { evaluateRun, formatEval } from "../../lib/train/eval.js";
import { Progress } from "../../lib/train/progress.js";
import { train, type EpochMetrics } from "../../lib/train/trainer.js";
import { tmp } from "../data/helpers.js";
import { quiet } from "./helpers.js";

const chromium = ["chromium", "chromium-browser", "google-chrome"].find((c) => spawnSync("which", [c]).status === 0);

function short(over: Record<string, unknown> = {}) {
  return validateConfig({ dataset: { name: "synthetic" }, train: { epochs: 3 }, output: join(tmp("exodus-report-"), "run"), device: "cpu", ...over });
}

/** data-series / data-x / data-y of every plotted point in an SVG or HTML text. */
function plotted(html: string): { series: string; x: number; y: number }[] {
  return [...html.matchAll(/data-series="([^"]*)" data-x="([^"]*)" data-y="([^"]*)"/g)].map((m) => ({ series: m[1], x: Number(m[2]), y: Number(m[3]) }));
}

describe("run folder", () => {
  it("holds config.yaml, metrics.csv and a report.html whose plotted data equal metrics.jsonl", async () => {
    const cfg = short();
    await train({ config: cfg, progress: quiet() });
    const out = cfg.output;
    expect(validateConfig(parse(readFileSync(join(out, "config.yaml"), "utf8")))).toEqual(cfg);
    const lines: EpochMetrics[] = readFileSync(join(out, "metrics.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l));
    expect(lines.map((m) => m.epoch)).toEqual([1, 2, 3]);
    for (const m of lines) {
      expect(Object.keys(m.firingRate)).toEqual(["1.LIF", "3.LIF"]);
      for (const r of Object.values(m.firingRate)) expect(r).toBeGreaterThan(0.001);
      for (const k of ["data", "forward", "backward", "optimizer", "eval"] as const) expect(m.time[k]).toBeGreaterThanOrEqual(0);
      expect(m.time.forward + m.time.backward).toBeGreaterThan(0);
      expect(m.time.data + m.time.forward + m.time.backward + m.time.optimizer).toBeLessThanOrEqual(m.train.seconds + 1e-6);
    }
    const csv = readFileSync(join(out, "metrics.csv"), "utf8").trim().split("\n");
    expect(csv).toHaveLength(4);
    const head = csv[0].split(",");
    const row = csv[3].split(",");
    expect(Number(row[head.indexOf("eval_acc")])).toBe(lines[2].eval!.acc);
    expect(Number(row[head.indexOf("grad_norm:0.Linear")])).toBe(lines[2].gradNorm["0.Linear"]);
    expect(Number(row[head.indexOf("firing_rate:3.LIF")])).toBe(lines[2].firingRate["3.LIF"]);

    const html = readFileSync(join(out, "report.html"), "utf8");
    expect(html).not.toMatch(/<script|https?:\/\/(?!www\.w3\.org)/); // self-contained
    const pts = plotted(html);
    const get = (series: string, at: number, nth = 0) => pts.filter((p) => p.series === series && p.x === at)[nth]?.y;
    for (const m of lines) {
      expect(get("train", m.epoch, 0)).toBe(m.train.loss); // loss chart first, then accuracy
      expect(get("valid", m.epoch, 0)).toBe(m.eval!.loss);
      expect(get("train", m.epoch, 1)).toBe(100 * m.train.acc);
      expect(get("valid", m.epoch, 1)).toBe(100 * m.eval!.acc);
      for (const [layer, v] of Object.entries(m.gradNorm)) expect(get(layer, m.epoch)).toBe(v);
      for (const [layer, v] of Object.entries(m.firingRate)) expect(get(layer, m.epoch)).toBe(100 * v);
      for (const k of ["data", "forward", "backward", "optimizer"] as const) expect(get(k, m.epoch)).toBe(m.time[k]);
      expect(get("eval (valid)", m.epoch)).toBe(m.time.eval);
    }
    expect(html).toMatch(/log scale/);

    if (!chromium) return; // rendering needs a browser; the data checks above ran anyway
    const png = join(out, "report.png");
    execFileSync(chromium, ["--headless", "--no-sandbox", "--disable-gpu", `--screenshot=${png}`, "--window-size=1200,1400", `file://${join(out, "report.html")}`], { stdio: "ignore", timeout: 60_000 });
    expect(statSync(png).size).toBeGreaterThan(20_000); // five charts, not a blank page
  });

  it("warns once about a silent layer, naming it and what to change", async () => {
    const lines: string[] = [];
    const progress = new Progress({ isTTY: false, write: (s: string) => lines.push(s) });
    const cfg = short({ model: { initScale: 0.01 }, train: { epochs: 2, lr: 1e-6 } }) // a dead network that stays dead;
    const r = await train({ config: cfg, progress });
    const warnings = lines.filter((l) => l.includes("warning"));
    expect(warnings.length).toBeGreaterThanOrEqual(1);
    expect(warnings[0]).toMatch(/warning: layer 1\.LIF is silent in epoch 1: .* of possible spikes \(< 0\.10 %\).*model\.initScale \(now 0\.01/);
    for (const layer of ["1.LIF", "3.LIF"]) {
      expect(warnings.filter((l) => l.includes(layer))).toHaveLength(1); // once per run, not per epoch
      expect(r.epochs[0].firingRate[layer]).toBeLessThan(0.001);
    }
    expect(r.epochs[0].warnings).toHaveLength(2);
    expect(r.epochs[1].warnings).toBeUndefined();
    expect(lines.some((l) => /elapsed \d+:\d\d( ETA \d+:\d\d)?/.test(l))).toBe(true);
  });

  it("exodus eval reports accuracy, per-class accuracy, the confusion matrix and firing rates", async () => {
    const cfg = short();
    const r = await train({ config: cfg, progress: quiet() });
    const ev = await evaluateRun(cfg.output, { split: "valid" });
    // the same weights on the same split as the trainer's last evaluation
    expect(ev.acc).toBe(r.epochs[2].eval!.acc);
    expect(ev.loss).toBeCloseTo(r.epochs[2].eval!.loss, 5);
    expect(ev.samples).toBe(512);
    expect(ev.confusion.flat().reduce((a, b) => a + b, 0)).toBe(512);
    expect(ev.perClass.reduce((s, c) => s + c.samples, 0)).toBe(512);
    expect(ev.classes[0]).toBe("g0+g1");
    expect(Object.keys(ev.firingRate)).toEqual(["1.LIF", "3.LIF"]);
    expect(formatEval(ev)).toMatch(/confusion matrix \(rows: true class, columns: predicted\)/);
    expect(await evaluateRun(join(cfg.output, "checkpoint.safetensors"), { split: "valid" })).toEqual(ev);

    const program = new Command().exitOverride();
    registerEval(program);
    let stdout = "";
    const spy = vi.spyOn(process.stdout, "write").mockImplementation((s: string | Uint8Array) => ((stdout += String(s)), true));
    try {
      await program.parseAsync(["node", "exodus", "eval", cfg.output, "--split", "test", "--json"]);
    } finally {
      spy.mockRestore();
    }
    const j = JSON.parse(stdout);
    expect(j).toMatchObject({ split: "test", samples: 512 });
    const svg = readFileSync(j.picture, "utf8");
    const cells = [...svg.matchAll(/data-row="(\d+)" data-col="(\d+)" data-count="(\d+)"/g)];
    expect(cells).toHaveLength(100);
    for (const c of cells) expect(Number(c[3])).toBe(j.confusion[Number(c[1])][Number(c[2])]);
    await expect(evaluateRun(join(cfg.output, "metrics.csv"))).rejects.toThrow(/expected a run folder or its checkpoint file/);
    await expect(evaluateRun(cfg.output, { split: "dev" })).rejects.toThrow(/--split: expected one of train, valid, test/);
    expect(existsSync(join(cfg.output, "confusion-test.svg"))).toBe(true);
  });
});
