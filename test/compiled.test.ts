// Code that runs in a worker thread or a child process is a compiled module (lib/compiled.ts):
// found where the build puts it, and a clear error saying how to build it when it is missing.
import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { compiledModule } from "../lib/compiled.js";

describe("compiled worker modules", () => {
  it("finds the workers' and the CUDA probe's compiled files", () => {
    for (const m of ["data/batch-thread.js", "data/augment-thread.js", "cuda-probe.js"]) {
      const path = compiledModule(m);
      expect(path.endsWith(`dist/lib/${m}`)).toBe(true);
      expect(existsSync(path)).toBe(true);
    }
  });

  it("names the missing file and the build command", () => {
    expect(() => compiledModule("data/no-such-thread.js")).toThrow(/dist\/lib\/data\/no-such-thread\.js: expected the compiled module lib\/data\/no-such-thread\.js, received no such file; build the TypeScript first \(npm run build:ts\)/);
  });
});
