// `exodus selftest [--device cuda]`: every op, neuron kernel and layer on random inputs against a
// reference (float64 on the CPU, the CPU backend on CUDA); a table of relative errors; exit 1 on
// any failure. What a GPU owner runs after installing. It ends with the backend table: every entry
// (cuda/include/exodus/backend.h), the checks that ran it, and the entries no check reached.
// --large runs the large-size group instead (grid-stride laps, > 2³¹ elements, > 65,535 GEMMs:
// lib/selftest/large-checks.ts); --perf times every entry instead (GB/s or GFLOP/s).
import type { Command } from "commander";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseDevice } from "../../lib/device.js";
import { type EntryCoverage, tableCoverage, unchecked } from "../../lib/selftest/coverage.js";
import { ConfigError } from "../../lib/errors.js";
import { runLargeChecks } from "../../lib/selftest/large-run.js";
import { type PerfResult, runPerf, untimed } from "../../lib/selftest/perf.js";
import { type CheckResult, runChecks } from "../../lib/selftest/run.js";
import { type TrainingScale, runTrainingChecks } from "../../lib/selftest/training-checks.js";

interface Opts {
  device?: string;
  seed: string;
  filter?: string;
  json?: string | boolean;
  large?: boolean;
  training?: boolean;
  perf?: boolean;
  scale?: string;
}

export function register(program: Command): void {
  program
    .command("selftest")
    .description("check every op and kernel on a device against its reference")
    .option("-d, --device <device>", "cpu, cuda or cuda:N (default: cuda when usable, else cpu)")
    .option("--seed <n>", "seed of the random inputs", "1234")
    .option("--filter <regex>", "only checks whose group or name matches")
    .option("--json [file]", "print (or write to file) the results as JSON")
    .option("--large", "run the large-size group instead (full size on CUDA: up to ~35 GB of GPU memory and as much RAM; reduced on the CPU)")
    .option("--training", "run the training checks instead: two steps of the SHD and DVS Gesture nets against the CPU, and a run that must learn")
    .option("--perf", "time every backend-table entry instead, at a representative size: GB/s or GFLOP/s per op")
    .option("--scale <scale>", "size of the --training nets: full (the configs' T and batch; the default on CUDA) or reduced (the default on the CPU)")
    .addHelpText("after", "\nExamples:\n  $ exodus selftest\n  $ exodus selftest --device cuda --json results.json\n  $ exodus selftest --filter gemm\n  $ exodus selftest --device cuda --large\n  $ exodus selftest --device cuda --training\n  $ exodus selftest --perf --filter lif")
    .action(async (opts: Opts) => {
      const device = parseDevice(opts.device);
      if (opts.scale !== undefined && !["full", "reduced"].includes(opts.scale))
        throw new ConfigError(`--scale: expected "full" or "reduced", received ${JSON.stringify(opts.scale)}`);
      if (opts.scale !== undefined && !opts.training) throw new ConfigError("--scale: applies to the --training checks only; add --training");
      const t0 = performance.now();
      const filter = opts.filter ? new RegExp(opts.filter) : undefined;
      if (opts.perf) return perf(device, filter, opts.json);
      // The slow groups report each check on stderr as it ends: a run cut short keeps them.
      const onResult = (r: CheckResult) =>
        process.stderr.write(`selftest: ${r.pass ? "pass" : "FAIL"} ${r.group} ${r.name} (${(r.ms / 1000).toFixed(1)} s)${r.error ? `: ${r.error}` : ""}\n`);
      let results: CheckResult[];
      if (opts.training) {
        const out = mkdtempSync(join(tmpdir(), "exodus-selftest-"));
        try {
          results = await runTrainingChecks(device, { out, filter, onResult, scale: opts.scale as TrainingScale | undefined });
        } finally {
          rmSync(out, { recursive: true, force: true });
        }
      } else results = opts.large ? runLargeChecks(device, { filter, onResult }) : runChecks(device, { seed: Number(opts.seed), filter });
      const failed = results.filter((r) => !r.pass);
      const summary = { device: String(device), checks: results.length, failed: failed.length, seconds: (performance.now() - t0) / 1000 };
      // The table's coverage is a property of the whole default group: a filtered or other run lists no gaps.
      const table = !opts.training && !opts.large && !filter ? tableCoverage(device, results) : undefined;
      if (opts.json) {
        const text = JSON.stringify({ ...summary, results, ...(table ? { table, unchecked: unchecked(table) } : {}) }, null, 2);
        if (typeof opts.json === "string") writeFileSync(opts.json, text);
        else console.log(text);
      }
      if (opts.json !== true) {
        const against = device.isCuda ? "CPU backend" : opts.training ? "CPU backend on one thread, and a learning run" : "float64 reference";
        console.log(`exodus selftest on ${device}, against the ${against}\n`);
        const w = Math.max(...results.map((r) => r.name.length), 10);
        console.log(`${"group".padEnd(13)} ${"check".padEnd(w)}  ${"rel. error".padStart(10)}  ${"tolerance".padStart(9)}  result`);
        for (const r of results) {
          const err = Number.isFinite(r.relError) ? r.relError.toExponential(2) : "—";
          const verdict = r.pass ? (r.error ? `pass (${r.error})` : "pass") : `FAIL${r.error ? `: ${r.error}` : ""}`;
          console.log(`${r.group.padEnd(13)} ${r.name.padEnd(w)}  ${err.padStart(10)}  ${r.tolerance.toExponential(0).padStart(9)}  ${verdict}`);
        }
        if (table) printTable(table);
        // A check skipped for want of memory is pass: true with its reason; it is not counted as passed.
        const skipped = results.filter((r) => r.pass && r.error?.startsWith("skipped")).length;
        console.log(`\n${results.length - failed.length - skipped} passed, ${skipped ? `${skipped} SKIPPED, ` : ""}${failed.length} failed (${summary.seconds.toFixed(1)} s)`);
      }
      if (failed.length) process.exitCode = 1;
    });
}

/** The backend table: each entry, whether the device has it, and the checks that ran it. */
function printTable(table: EntryCoverage[]): void {
  const w = Math.max(...table.map((c) => c.entry.length));
  console.log(`\nbackend table (${table.length} entries), checks that ran each entry here:`);
  for (const c of table) {
    const what = !c.supported ? "not on this backend" : c.passed + c.failed ? `${c.passed} passed${c.failed ? `, ${c.failed} FAILED` : ""}` : c.elsewhere ? `checked by ${c.elsewhere}` : "NO CHECK";
    console.log(`  ${c.entry.padEnd(w)}  ${what}`);
  }
  const gaps = unchecked(table);
  console.log(gaps.length ? `entries without a check: ${gaps.join(", ")}` : "every entry this backend has was checked");
}

/** --perf: one line per table entry with its speed. */
function perf(device: ReturnType<typeof parseDevice>, filter: RegExp | undefined, json: string | boolean | undefined): void {
  const results: PerfResult[] = runPerf(device, {
    filter, onResult: (r) => process.stderr.write(`selftest --perf: ${r.entry} ${r.skipped ?? `${r.ms.toFixed(2)} ms`}\n`),
  });
  const missing = filter ? [] : untimed();
  if (json) {
    const text = JSON.stringify({ device: String(device), results, untimed: missing }, null, 2);
    if (typeof json === "string") writeFileSync(json, text);
    else console.log(text);
    if (json === true) return;
  }
  console.log(`exodus selftest --perf on ${device}: median of repeated calls, one op each\n`);
  const we = Math.max(...results.map((r) => r.entry.length), 5), wl = Math.max(...results.map((r) => r.label.length), 4);
  console.log(`${"entry".padEnd(we)}  ${"size".padEnd(wl)}  ${"ms".padStart(9)}  speed`);
  for (const r of results) {
    const speed = r.skipped ? r.skipped : r.gflops !== undefined ? `${r.gflops.toFixed(1)} GFLOP/s` : `${r.gbps!.toFixed(1)} GB/s`;
    console.log(`${r.entry.padEnd(we)}  ${r.label.padEnd(wl)}  ${(r.skipped ? "—" : r.ms.toFixed(3)).padStart(9)}  ${speed}`);
  }
  if (missing.length) console.log(`\nentries without a perf case: ${missing.join(", ")}`);
}
