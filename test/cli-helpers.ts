// Runs one CLI command in-process (its register() on a fresh commander program) and returns what
// it printed on stdout; stderr (progress, warnings) is swallowed.
import { Command } from "commander";
import { vi } from "vitest";

export async function runCommand(register: (program: Command) => void, name: string, args: string[]): Promise<string> {
  const program = new Command().exitOverride();
  register(program);
  let stdout = "";
  const out = vi.spyOn(process.stdout, "write").mockImplementation((s: string | Uint8Array) => ((stdout += String(s)), true));
  const err = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
  try {
    await program.parseAsync(["node", "exodus", name, ...args]);
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
  return stdout;
}
