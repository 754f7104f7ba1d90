import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 120_000,
    hookTimeout: 600_000,
    // Native work is multi-threaded already; one worker per file keeps the 2-core CI machine sane.
    pool: "forks",
    fileParallelism: false,
  },
});
