// Where the compiled JavaScript of a module under lib/ lies, for code that runs in a worker thread
// or a child process (the loader's workers, the CUDA probe): next to this file when exodus runs
// from dist/, else in the package's dist/ (running from the TypeScript sources, as the tests do;
// `npm run build:ts` writes it). Such code is a real module that tsc checks, not a string.
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";
import { ExodusError } from "./errors.js";

const here = dirname(fileURLToPath(import.meta.url));
const fromSources = !import.meta.url.endsWith(".js");

/** The path of lib/<rel>'s compiled file ("data/batch-thread.js"); an error saying how to build it when it is missing. */
export function compiledModule(rel: string): string {
  const path = fromSources ? join(here, "..", "dist", "lib", rel) : join(here, rel);
  if (!existsSync(path)) throw new ExodusError(`${path}: expected the compiled module lib/${rel}, received no such file; build the TypeScript first (npm run build:ts)`);
  return path;
}
