// `exodus data inspect <path>`: a data file or a whole data-set folder (or `synthetic`): format,
// samples (per split), class histogram, durations, event rates, and a picture of a sample.
import type { Command } from "commander";
import { existsSync, statSync, writeFileSync } from "node:fs";
import { inspectFolder, type FolderReport } from "../../lib/data/inspect-folder.js";
import { ExodusError } from "../../lib/errors.js";
import { inspectPath } from "../../lib/data/inspect.js";
import { dataCommand } from "./data-download.js";

export function register(program: Command): void {
  dataCommand(program)
    .command("inspect")
    .description("summarise a data-set folder or file (.h5, .aedat, .npy, CIFAR10-DVS class .zip) and draw a sample")
    .argument("<path>", "a data-set folder (SHD/SSC, DVS Gesture root, CIFAR10-DVS root), a data file, or synthetic")
    .option("--out <file>", "write a picture of the sample (.png or .svg): spike raster for audio, frames for DVS")
    .option("--sample <i>", "which sample to draw", "0")
    .option("--split <split>", "folders: the split to draw the sample from (default: the first present)")
    .option("--json", "print JSON")
    .addHelpText("after", "\nExamples:\n  $ exodus data inspect data/shd --out sample.png\n  $ exodus data inspect synthetic --split valid --sample 3 --out s.svg\n  $ exodus data inspect data/shd/shd_test.h5 --out sample.png\n  $ exodus data inspect data/dvs-gesture/DvsGesture/user24_led.aedat --sample 3 --out g.svg --json")
    .action(async (path: string, opts: { out?: string; sample: string; split?: string; json?: boolean }) => {
      let picture: "png" | "svg" | undefined;
      if (opts.out) {
        const m = /\.(png|svg)$/i.exec(opts.out);
        if (!m) throw new ExodusError(`--out: expected a file name ending in .png or .svg, received ${JSON.stringify(opts.out)}`);
        picture = m[1].toLowerCase() as "png" | "svg";
      }
      const sample = Number(opts.sample);
      if (!Number.isInteger(sample) || sample < 0) throw new ExodusError(`--sample: expected an integer >= 0, received ${JSON.stringify(opts.sample)}`);
      if ((path === "synthetic" && !existsSync(path)) || (existsSync(path) && statSync(path).isDirectory())) {
        const { report, picture: pic } = await inspectFolder(path, { sample, split: opts.split, picture });
        if (opts.out && pic) writeFileSync(opts.out, pic);
        if (opts.json) console.log(JSON.stringify({ ...report, ...(opts.out ? { picture: { ...report.picture, file: opts.out } } : {}) }, null, 2));
        else printFolder(report, opts.out);
        return;
      }
      const { report, picture: pic } = await inspectPath(path, { sample, picture });
      if (opts.out && pic) writeFileSync(opts.out, pic);
      if (opts.json) {
        console.log(JSON.stringify({ ...report, ...(opts.out ? { picture: opts.out } : {}) }, null, 2));
        return;
      }
      const f = (s: { min: number; mean: number; max: number }, d = 0) => `min ${s.min.toFixed(d)}, mean ${s.mean.toFixed(d)}, max ${s.max.toFixed(d)}`;
      console.log(`${report.path}: ${report.format}`);
      console.log(`samples:     ${report.samples}${report.emptySamples ? ` (${report.emptySamples} without events)` : ""}`);
      if (report.classCounts)
        console.log(`classes:     ${Object.keys(report.classCounts).length} (${Object.entries(report.classCounts).map(([k, v]) => `${k}:${v}`).join(" ")})`);
      console.log(`events:      ${f(report.events)}`);
      console.log(`duration s:  ${f(report.durationS, 3)}`);
      console.log(`events/s:    ${f(report.eventRate)}`);
      if (opts.out) console.log(`picture of sample ${sample}: ${opts.out}`);
    });
}

function printFolder(r: FolderReport, out: string | undefined): void {
  const f = (s: { min: number; mean: number; max: number }, d = 0) => `min ${s.min.toFixed(d)}, mean ${s.mean.toFixed(d)}, max ${s.max.toFixed(d)}`;
  console.log(`${r.path}: ${r.title} (${r.dataset}), ${r.format}`);
  for (const [split, s] of Object.entries(r.splits)) {
    if ("missing" in s) {
      console.log(`${split}: not found (${s.missing})`);
      continue;
    }
    console.log(`${split}: ${s.samples} samples${s.emptySamples ? ` (${s.emptySamples} without events)` : ""}`);
  }
  const present = Object.entries(r.splits).filter((e): e is [string, Exclude<FolderReport["splits"][string], { missing: string }>] => !("missing" in e[1]));
  const names = Object.keys(present[0]?.[1].classCounts ?? {});
  const w = Math.max(5, ...names.map((n) => n.length));
  console.log(`\nclass histogram:\n  ${"class".padEnd(w)} ${present.map(([s]) => s.padStart(7)).join("")}`);
  for (const n of names) console.log(`  ${n.padEnd(w)} ${present.map(([, s]) => String(s.classCounts[n] ?? 0).padStart(7)).join("")}`);
  console.log(`\nevents:      ${f(r.events)}`);
  console.log(`duration s:  ${f(r.durationS, 3)}`);
  console.log(`events/s:    ${f(r.eventRate)}`);
  if (out && r.picture) console.log(`picture of ${r.picture.split} sample ${r.picture.sample} (class ${r.picture.class}): ${out}`);
}
