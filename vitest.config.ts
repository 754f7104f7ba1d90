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
    // Data caches go to the user cache folder by default (lib/data/cache-dir.ts): the tests' go to
    // a scratch one, never the developer's ~/.cache.
    env: { XDG_CACHE_HOME: join(tmpdir(), `exodus-test-cache-${process.pid}`) },
  },
});
