// The README's library example runs as written: extracted from README.md (its import of the
// package pointed at this checkout's lib/), run on the built-in task, and it learns.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it, vi } from "vitest";

const ROOT = join(import.meta.dirname, "..");

describe("README", () => {
  it("the library example trains the built-in task to >= 90 % and prints an epoch loop", async () => {
    const readme = readFileSync(join(ROOT, "README.md"), "utf8");
    const section = readme.slice(readme.indexOf("## Library"));
    const code = /```ts\n([\s\S]*?)```/.exec(section)?.[1];
    expect(code, "a ```ts block under ## Library").toBeDefined();
    expect(code).toMatch(/from "exodus-snn"/);
    // The gradient comes from the loss API, not built by hand over time.
    expect(code).toMatch(/losses\.\w+Loss\(/);
    expect(code).not.toMatch(/softmaxCrossEntropy|Tensor\.zeros/);
    // Inside the test folder so vitest transforms it like any test module.
    const file = join(import.meta.dirname, `.readme-example-${process.pid}.ts`);
    writeFileSync(file, code!.replace(/from "exodus-snn"/, `from ${JSON.stringify(join(ROOT, "lib", "index.ts"))}`));
    const logs: string[] = [];
    const spy = vi.spyOn(console, "log").mockImplementation((...a: unknown[]) => void logs.push(a.join(" ")));
    try {
      await import(/* @vite-ignore */ file);
    } finally {
      spy.mockRestore();
      (await import("node:fs")).rmSync(file, { force: true });
    }
    expect(logs).toHaveLength(8);
    const acc = logs.map((l) => Number(/valid accuracy ([\d.]+) %/.exec(l)?.[1]));
    expect(acc.every(Number.isFinite)).toBe(true);
    expect(acc.at(-1)).toBeGreaterThanOrEqual(90);
  });
});
