#!/usr/bin/env node
// The exodus CLI. Each command lives in its own file under bin/commands/ and exports
// `register(program)`; this file discovers them, so adding a command touches nothing else.
import { Command } from "commander";
import { readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { runtimeInfo } from "../lib/runtime.js";

export interface CommandModule {
  register(program: Command): void;
}

async function main(): Promise<void> {
  // Before the addon (and its OpenMP runtime) loads: idle OpenMP threads sleep instead of spinning.
  // On a shared or busy CPU spinning threads steal the cores the work needs — the built-in task
  // took 150 s instead of 6 s at load average 16 on 2 cores. Set OMP_WAIT_POLICY=active to spin.
  process.env.OMP_WAIT_POLICY ??= "passive";
  const program = new Command();
  program
    .name("exodus")
    .description("Train spiking neural networks with exact EXODUS gradients, on CPU or CUDA")
    .version(runtimeInfo().version)
    .showHelpAfterError()
    .configureHelp({ sortSubcommands: true });

  const here = dirname(fileURLToPath(import.meta.url));
  const dir = join(here, "commands");
  const files = readdirSync(dir).filter((f) => /\.(js|ts)$/.test(f) && !f.endsWith(".d.ts")).sort();
  for (const f of files) {
    const mod = (await import(pathToFileURL(join(dir, f)).href)) as Partial<CommandModule>;
    if (typeof mod.register === "function") mod.register(program);
  }
  await program.parseAsync(process.argv);
}

main().catch((e: unknown) => {
  const err = e as Error;
  // Errors of the user's making read as one line; anything else keeps its stack for bug reports.
  if (err?.name && /Error$/.test(err.name) && err.name !== "Error" && err.name !== "TypeError" && err.name !== "RangeError")
    console.error(`exodus: ${err.message}`);
  else console.error(err?.stack ?? String(e));
  process.exitCode = 1;
});
