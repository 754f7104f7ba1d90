// The data cache's default folder: the user's cache folder (XDG), never the data folder.
import { copyFileSync, readdirSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { defaultCacheDir } from "../../lib/data/cache-dir.js";
import { openDataset } from "../../lib/data/loader.js";
import { FIXTURES, tmp } from "./helpers.js";

describe("data cache folder", () => {
  it("is $EXODUS_DATA_CACHE, else $XDG_CACHE_HOME/exodus/data (absolute only), else ~/.cache/exodus/data", () => {
    expect(defaultCacheDir({ EXODUS_DATA_CACHE: "/scratch/c", XDG_CACHE_HOME: "/x" })).toBe("/scratch/c");
    expect(defaultCacheDir({ XDG_CACHE_HOME: "/x" })).toBe("/x/exodus/data");
    expect(defaultCacheDir({ XDG_CACHE_HOME: "relative/x" })).toBe(join(homedir(), ".cache", "exodus", "data"));
    expect(defaultCacheDir({})).toBe(join(homedir(), ".cache", "exodus", "data"));
  });

  it("opening a data set writes nothing into its folder", async () => {
    const root = tmp();
    copyFileSync(join(FIXTURES, "shd_tiny.h5"), join(root, "shd_test.h5"));
    const ds = await openDataset({ name: "shd", root, split: "test", onWarning: () => {} });
    expect(ds.cachePath.startsWith(defaultCacheDir() + "/")).toBe(true);
    expect(defaultCacheDir()).toBe(join(process.env.XDG_CACHE_HOME!, "exodus", "data")); // vitest.config.ts points it at a scratch folder
    await ds.close();
    expect(readdirSync(root)).toEqual(["shd_test.h5"]);
  });
});
