// Downloads with resume (HTTP Range on a .part file), redirects, an idle timeout, MD5
// verification and extraction (zip, tar.gz, gz). Progress goes to a callback; the CLI draws a bar.
import { createHash } from "node:crypto";
import { createReadStream, createWriteStream, existsSync, mkdirSync, renameSync, statSync, unlinkSync, writeFileSync } from "node:fs";
import { get as httpGet, type IncomingMessage } from "node:http";
import { get as httpsGet } from "node:https";
import { dirname, join, resolve, sep } from "node:path";
import { pipeline } from "node:stream/promises";
import { createGunzip } from "node:zlib";
import { ExodusError } from "../errors.js";
import { datasetInfo, type RemoteFile } from "./registry.js";
import { extractZipEntry, listZip } from "./zip.js";

export interface DownloadProgress {
  file: string;
  received: number;
  /** Total bytes when the server says, else undefined. */
  total?: number;
  /** Bytes already on disk when this transfer resumed. */
  resumedFrom: number;
}

export interface DownloadOptions {
  md5?: string;
  onProgress?: (p: DownloadProgress) => void;
  /** Abort when no bytes arrive for this long (default 60 s). */
  idleTimeoutMs?: number;
}

/** The host could not be reached (no network, DNS, a firewall): the data set can still be installed by hand. */
export class NetworkError extends ExodusError {
  constructor(message: string, readonly code: string) {
    super(message);
  }
}

const NETWORK_CODES = new Set(["ENOTFOUND", "EAI_AGAIN", "ECONNREFUSED", "ENETUNREACH", "EHOSTUNREACH", "ETIMEDOUT", "ECONNRESET", "EPROTO", "CERT_HAS_EXPIRED", "UNABLE_TO_VERIFY_LEAF_SIGNATURE", "SELF_SIGNED_CERT_IN_CHAIN"]);

function request(url: string, headers: Record<string, string>, idleMs: number): Promise<IncomingMessage> {
  return new Promise((resolveP, reject) => {
    const u = new URL(url);
    const get = u.protocol === "https:" ? httpsGet : u.protocol === "http:" ? httpGet : undefined;
    if (!get) return reject(new ExodusError(`${url}: expected an http(s) URL, received protocol ${u.protocol}`));
    const req = get(u, { headers: { "user-agent": "exodus-snn", ...headers } }, resolveP);
    req.setTimeout(idleMs, () => req.destroy(new NetworkError(`${url}: no response for ${idleMs / 1000} s`, "ETIMEDOUT")));
    req.on("error", (e) => {
      const code = (e as NodeJS.ErrnoException).code ?? "";
      reject(e instanceof ExodusError ? e : NETWORK_CODES.has(code) ? new NetworkError(`${url}: ${e.message}`, code) : new ExodusError(`${url}: ${e.message}`));
    });
  });
}

/** The response after following redirects. */
async function follow(url: string, headers: Record<string, string>, idleMs: number): Promise<{ res: IncomingMessage; url: string }> {
  let current = url;
  for (let hop = 0; hop < 10; hop++) {
    const res = await request(current, headers, idleMs);
    const loc = res.headers.location;
    if (res.statusCode && res.statusCode >= 300 && res.statusCode < 400 && loc) {
      res.resume();
      current = new URL(loc, current).toString();
      continue;
    }
    return { res, url: current };
  }
  throw new ExodusError(`${url}: expected a file, received more than 10 redirects`);
}

export async function md5Of(path: string): Promise<string> {
  const h = createHash("md5");
  await pipeline(createReadStream(path), h);
  return h.digest("hex");
}

/** Throws a clear error when path's MD5 differs from md5. */
export async function verifyMd5(path: string, md5: string): Promise<void> {
  const got = await md5Of(path);
  if (got !== md5.toLowerCase()) throw new ExodusError(`${path}: expected MD5 ${md5}, received ${got} (corrupt or incomplete download)`);
}

/**
 * Downloads url to dest. Bytes go to dest.part first; an interrupted transfer resumes from there
 * with a Range request. With md5, the finished file is checked and, on a mismatch, deleted (so the
 * next attempt starts clean) and an error thrown. An existing dest with the right MD5 is kept.
 */
export async function downloadFile(url: string, dest: string, opts: DownloadOptions = {}): Promise<void> {
  const idle = opts.idleTimeoutMs ?? 60_000;
  mkdirSync(dirname(dest), { recursive: true });
  if (existsSync(dest)) {
    if (!opts.md5 || (await md5Of(dest)) === opts.md5.toLowerCase()) return;
    unlinkSync(dest);
  }
  const part = `${dest}.part`;
  const have = existsSync(part) ? statSync(part).size : 0;
  const { res, url: finalUrl } = await follow(url, have > 0 ? { range: `bytes=${have}-` } : {}, idle);
  let offset = have;
  let total: number | undefined;
  if (res.statusCode === 416 && have > 0) {
    // The part file already holds everything the server has.
    res.resume();
    total = have;
  } else if (res.statusCode === 206) {
    const m = /\/(\d+)\s*$/.exec(String(res.headers["content-range"] ?? ""));
    total = m ? Number(m[1]) : have + Number(res.headers["content-length"] ?? NaN);
  } else if (res.statusCode === 200) {
    offset = 0; // the server ignored the Range header: start over
    const len = Number(res.headers["content-length"]);
    total = Number.isFinite(len) ? len : undefined;
  } else {
    res.resume();
    throw new ExodusError(`${finalUrl}: expected HTTP 200 or 206, received ${res.statusCode} ${res.statusMessage ?? ""}`.trim());
  }
  if (res.statusCode !== 416) {
    let received = offset;
    const report = () => opts.onProgress?.({ file: dest, received, total, resumedFrom: offset });
    report();
    res.on("data", (c: Buffer) => {
      received += c.length;
      report();
    });
    let stalled: Error | undefined;
    res.setTimeout?.(idle, () => res.destroy((stalled = new Error(`no data for ${idle / 1000} s`))));
    // Not pipeline(): on a broken connection it would destroy the file stream and drop bytes already
    // received but not yet written; here everything received reaches the .part file before we report.
    const out = createWriteStream(part, { flags: offset > 0 ? "a" : "w" });
    const cause = await new Promise<Error | undefined>((done) => {
      let failure: Error | undefined;
      res.on("data", (c: Buffer) => {
        if (!out.write(c)) {
          res.pause();
          out.once("drain", () => res.resume());
        }
      });
      res.on("error", (e) => (failure ??= e));
      res.on("aborted", () => (failure ??= new Error("connection closed early")));
      res.on("close", () => {
        out.end();
        out.once("finish", () => done(stalled ?? failure));
        out.once("error", (e) => done(stalled ?? failure ?? e));
      });
    });
    if (cause) throw new ExodusError(`${finalUrl}: transfer interrupted after ${received} bytes (${cause.message}); run again to resume`);
    if (!res.complete || (total !== undefined && received < total))
      throw new ExodusError(`${finalUrl}: transfer interrupted after ${received} of ${total ?? "?"} bytes; run again to resume`);
  }
  if (opts.md5) {
    const got = await md5Of(part);
    if (got !== opts.md5.toLowerCase()) {
      unlinkSync(part);
      throw new ExodusError(`${dest}: expected MD5 ${opts.md5}, received ${got}; the download was removed, run again to fetch it anew`);
    }
  }
  renameSync(part, dest);
}

function safeJoin(root: string, name: string, archive: string): string {
  const out = resolve(root, name);
  if (out !== resolve(root) && !out.startsWith(resolve(root) + sep))
    throw new ExodusError(`${archive}: entry ${JSON.stringify(name)} would extract outside ${root}; refusing`);
  return out;
}

/** Extracts an archive into dir (zip and tar.gz) or next to itself (gz). Returns what it wrote. */
export async function extractArchive(path: string, dir: string, kind: "zip" | "tar.gz" | "gz"): Promise<string[]> {
  mkdirSync(dir, { recursive: true });
  if (kind === "zip") {
    const written: string[] = [];
    for (const e of listZip(path)) {
      const out = safeJoin(dir, e.name, path);
      if (e.name.endsWith("/")) {
        mkdirSync(out, { recursive: true });
        continue;
      }
      mkdirSync(dirname(out), { recursive: true });
      await extractZipEntry(path, e, out);
      written.push(out);
    }
    return written;
  }
  if (kind === "gz") {
    const out = join(dir, path.replace(/^.*[\\/]/, "").replace(/\.gz$/, ""));
    try {
      await pipeline(createReadStream(path), createGunzip(), createWriteStream(out));
    } catch (e) {
      throw new ExodusError(`${path}: expected gzip data, received a corrupt or truncated file (${(e as Error).message})`);
    }
    return [out];
  }
  const tar = await import("tar");
  const written: string[] = [];
  try {
    await tar.x({
      file: path,
      cwd: dir,
      strict: true,
      onReadEntry: (entry) => {
        written.push(safeJoin(dir, entry.path, path));
      },
    });
  } catch (e) {
    throw new ExodusError(`${path}: expected a tar.gz archive, received a corrupt or truncated file (${(e as Error).message})`);
  }
  return written;
}

export interface DownloadDatasetOptions {
  onProgress?: (p: DownloadProgress) => void;
  log?: (line: string) => void;
  /** Base URL replacing each file's host (mirrors, tests): file names are appended. */
  mirror?: string;
}

/** Marks a finished extraction, so a second run does not redo gigabytes of work. */
const doneMarker = (dir: string, f: RemoteFile) => join(dir, `.${f.name}.extracted`);

async function fetchOne(dir: string, f: RemoteFile, opts: DownloadDatasetOptions): Promise<void> {
  const log = opts.log ?? (() => undefined);
  const dest = join(dir, f.name);
  if (existsSync(doneMarker(dir, f)) && existsSync(dest)) {
    log(`${f.name}: already downloaded and extracted`);
    return;
  }
  const url = opts.mirror ? `${opts.mirror.replace(/\/$/, "")}/${f.name}` : f.url;
  log(`${f.name}: downloading ${url}`);
  await downloadFile(url, dest, { md5: f.md5, onProgress: opts.onProgress });
  log(`${f.name}: ${f.md5 ? "MD5 verified" : "no published MD5 to verify against"}`);
  if (f.extract) {
    const files = await extractArchive(dest, dir, f.extract);
    log(`${f.name}: extracted ${files.length} file(s)`);
  }
  writeFileSync(doneMarker(dir, f), new Date().toISOString() + "\n");
}

/** What to fetch by hand when the network is out of reach: URLs, names, MD5s, where to put them. */
function manualInstructions(name: string, dir: string, files: RemoteFile[], cause: NetworkError, mirror?: string): string {
  const rows = files.map((f) => `  ${f.name}  from ${mirror ? `${mirror.replace(/\/$/, "")}/${f.name}` : f.url}  ${f.md5 ? `MD5 ${f.md5}` : "(no published MD5; its size and contents are checked on extraction)"}`);
  return (
    `${name}: cannot download (${cause.message}): is this machine offline or behind a proxy?\n` +
    `To install ${name} by hand, fetch these files on a machine with network access (a browser, curl -L -o NAME URL) and put them, with these names, in ${dir}:\n` +
    `${rows.join("\n")}\n` +
    `then run \`exodus data download ${name} --dir ${dir}\` again: it checks the MD5s and extracts the archives without downloading anything.`
  );
}

/** Downloads, verifies and extracts a data set into dir. */
export async function downloadDataset(name: string, dir: string, opts: DownloadDatasetOptions = {}): Promise<void> {
  const info = datasetInfo(name);
  const log = opts.log ?? (() => undefined);
  if (info.open) return log(`${name}: generated in-process, nothing to download`);
  for (const f of info.files) {
    try {
      await fetchOne(dir, f, opts);
    } catch (e) {
      if (e instanceof NetworkError) throw new NetworkError(manualInstructions(name, dir, info.files.filter((g) => !existsSync(doneMarker(dir, g))), e, opts.mirror), e.code);
      throw e;
    }
  }
  if (info.manual) {
    const { file, page, note } = info.manual;
    const placed = join(dir, file.name);
    if (existsSync(placed)) {
      if (!existsSync(doneMarker(dir, file))) {
        log(`${file.name}: verifying the file you placed`);
        if (file.md5) await verifyMd5(placed, file.md5);
        const files = await extractArchive(placed, dir, file.extract ?? "tar.gz");
        log(`${file.name}: MD5 verified, extracted ${files.length} file(s)`);
        writeFileSync(doneMarker(dir, file), new Date().toISOString() + "\n");
      } else log(`${file.name}: already verified and extracted`);
    } else log(`${file.name} (optional): ${note}\n  page: ${page}\n  put it at: ${placed}${file.md5 ? `\n  expected MD5: ${file.md5}` : ""}`);
  }
}
