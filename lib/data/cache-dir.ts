// Where preprocessed data caches go by default: the user's cache folder, never the data folder
// (a data set may sit on a read-only or shared file system, and a cache is rebuildable scratch).
// $EXODUS_DATA_CACHE wins; else $XDG_CACHE_HOME/exodus/data (the XDG base-directory
// specification: only an absolute path counts), else ~/.cache/exodus/data.
import { homedir } from "node:os";
import { isAbsolute, join } from "node:path";

export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.EXODUS_DATA_CACHE) return env.EXODUS_DATA_CACHE;
  const xdg = env.XDG_CACHE_HOME;
  return join(xdg && isAbsolute(xdg) ? xdg : join(homedir(), ".cache"), "exodus", "data");
}
