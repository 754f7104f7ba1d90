// Shared by the NIR tests: CLI commands run in-process, and a network's output in evaluation mode.
import { Command } from "commander";
import { vi } from "vitest";
import type { Sequential } from "../../lib/nn/index.js";
import type { Tensor } from "../../lib/tensor.js";

/** Runs `exodus <args>` with the given commands registered; returns what they printed (console.log and stdout). */
export async function nirCli(registers: ((program: Command) => void)[], ...args: string[]): Promise<string> {
  const program = new Command().exitOverride();
  for (const r of registers) r(program);
  let out = "";
  const log = vi.spyOn(console, "log").mockImplementation((s: unknown) => void (out += `${String(s)}\n`));
  const write = vi.spyOn(process.stdout, "write").mockImplementation((s: string | Uint8Array) => ((out += String(s)), true));
  const err = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
  try {
    await program.parseAsync(["node", "exodus", ...args]);
  } finally {
    log.mockRestore();
    write.mockRestore();
    err.mockRestore();
  }
  return out;
}

/** net's output on x in evaluation mode, as a float array. */
export function evalForward(net: Sequential, x: Tensor): Float32Array {
  net.eval();
  const y = net.forward(x);
  const a = y.toArray();
  y.dispose();
  return a;
}
