import { tmpdir } from "node:os";
import { join } from "node:path";
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 120_000,
    hookTimeout: 600_000,
    // Native work is multi-threaded already; one worker per file keeps the 2-core CI machine sane.
    pool: "forks",
    fileParallelism: false,
    // Idle OpenMP threads sleep instead of spinning (as the CLI sets, bin/exodus.ts): on a busy
    // machine spinning threads make small training runs 10-20x slower.
    // Data caches go to the user cache folder by default (lib/data/cache-dir.ts): the tests' go to
    // a scratch one, never the developer's ~/.cache.
    env: { OMP_WAIT_POLICY: process.env.OMP_WAIT_POLICY ?? "passive", XDG_CACHE_HOME: join(tmpdir(), `exodus-test-cache-${process.pid}`) },
  },
});
