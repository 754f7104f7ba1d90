#!/usr/bin/env node
// The exodus CLI. Each command lives in its own file under bin/commands/ and exports
// `register(program)`; this file discovers them, so adding a command touches nothing else.
import { Command } from "commander";
import { readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { ExodusError } from "../lib/errors.js";
import { runtimeInfo } from "../lib/runtime.js";

export interface CommandModule {
  register(program: Command): void;
}

async function main(): Promise<void> {
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
  process.exitCode = 1;
  const err = e instanceof Error ? e : new Error(String(e));
  const debug = process.env.EXODUS_DEBUG === "1";
  // The library's own errors say what was wrong and what to do: one line. Anything else is a bug
  // or an environment problem: its message, and the stack only when asked for.
  if (err instanceof ExodusError) console.error(`exodus: ${err.message}${debug ? `\n${err.stack}` : ""}`);
  else if (/out of (host|device) memory|Array buffer allocation failed|heap out of memory/i.test(err.message)) {
    // The native backends' allocation failures: the run is too large for this machine.
    console.error(`exodus: ${err.message}: the run needs more memory than is free; lower train.batchSize, the frame steps or the model's widths`);
    if (debug) console.error(err.stack);
  } else {
    const code = (err as NodeJS.ErrnoException).code;
    console.error(`exodus: ${err.name}${code ? ` ${code}` : ""}: ${err.message}`);
    if (debug) console.error(err.stack);
    else console.error("exodus: this is not an error exodus expected; rerun with EXODUS_DEBUG=1 for the stack trace and report it");
  }
});