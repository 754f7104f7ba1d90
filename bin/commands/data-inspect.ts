// `exodus data inspect <path>`: samples, classes, durations, event rates, and a picture of a sample.
import type { Command } from "commander";
import { writeFileSync } from "node:fs";
import { ExodusError } from "../../lib/errors.js";
import { inspectPath } from "../../lib/data/inspect.js";
import { dataCommand } from "./data-download.js";

export function register(program: Command): void {
  dataCommand(program)
    .command("inspect")
    .description("summarise a data file (.h5, .aedat, .npy, CIFAR10-DVS class .zip) and draw a sample")
    .argument("<path>", "the file")
    .option("--out <file>", "write a picture of the sample (.png or .svg): spike raster for audio, frames for DVS")
    .option("--sample <i>", "which sample to draw", "0")
    .option("--json", "print JSON")
    .addHelpText("after", "\nExamples:\n  $ exodus data inspect data/shd/shd_test.h5 --out sample.png\n  $ exodus data inspect data/dvs-gesture/DvsGesture/user24_led.aedat --sample 3 --out g.svg --json")
    .action(async (path: string, opts: { out?: string; sample: string; json?: boolean }) => {
      let picture: "png" | "svg" | undefined;
      if (opts.out) {
        const m = /\.(png|svg)$/i.exec(opts.out);
        if (!m) throw new ExodusError(`--out: expected a file name ending in .png or .svg, received ${JSON.stringify(opts.out)}`);
        picture = m[1].toLowerCase() as "png" | "svg";
      }
      const sample = Number(opts.sample);
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
