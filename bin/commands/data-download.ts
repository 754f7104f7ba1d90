// `exodus data download <name>`: fetch, verify (MD5) and extract a data set, with a progress bar.
import type { Command } from "commander";
import { resolve } from "node:path";
import { DATASETS } from "../../lib/data/registry.js";
import { type DownloadProgress, downloadDataset } from "../../lib/data/download.js";

export function dataCommand(program: Command): Command {
  return (
    program.commands.find((c) => c.name() === "data") ??
    program.command("data").description("download, verify and inspect the data sets (SHD, SSC, DVS Gesture, CIFAR10-DVS, N-MNIST)")
  );
}

function progressBar(): (p: DownloadProgress) => void {
  let last = 0;
  const started = Date.now();
  return (p) => {
    const now = Date.now();
    const done = p.total !== undefined && p.received >= p.total;
    if (now - last < 200 && !done) return;
    last = now;
    const mb = (b: number) => (b / 2 ** 20).toFixed(1);
    const rate = (p.received - p.resumedFrom) / Math.max(0.001, (now - started) / 1000);
    const name = p.file.replace(/^.*[\\/]/, "");
    let line: string;
    if (p.total) {
      const frac = Math.min(1, p.received / p.total);
      const w = 30;
      const fill = Math.round(frac * w);
      line = `${name} [${"#".repeat(fill)}${"-".repeat(w - fill)}] ${(frac * 100).toFixed(1)}% ${mb(p.received)}/${mb(p.total)} MiB ${mb(rate)} MiB/s`;
    } else line = `${name} ${mb(p.received)} MiB ${mb(rate)} MiB/s`;
    if (process.stderr.isTTY) process.stderr.write(`\r${line}\x1b[K${done ? "\n" : ""}`);
    else if (done) process.stderr.write(line + "\n");
  };
}

export function register(program: Command): void {
  dataCommand(program)
    .command("download")
    .description("download a data set, resume interrupted transfers, check MD5s and extract the archives")
    .argument("<name>", Object.keys(DATASETS).join(" | "))
    .option("--dir <dir>", "where to put the files (default: data/<name>)")
    .option("--mirror <url>", "fetch the files by name from this base URL instead")
    .addHelpText(
      "after",
      "\nExamples:\n  $ exodus data download shd --dir data/shd\n  $ exodus data download dvs-gesture   # tonic's npy variant; explains how to add IBM's original\n\n" +
        "Then train with root: data/<name>. Interrupted? Run the same command again: it resumes.",
    )
    .action(async (name: string, opts: { dir?: string; mirror?: string }) => {
      const dir = resolve(opts.dir ?? `data/${name}`);
      await downloadDataset(name, dir, { onProgress: progressBar(), log: (l) => console.error(l), mirror: opts.mirror });
      console.error(`${name}: ready in ${dir}`);
    });
}
