// Downloads against a local HTTP server on 127.0.0.1: progress, resume after an interrupted
// transfer, redirects, checksum mismatch, HTTP errors, and extraction of zip, tar.gz and gz.
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { type Server, createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DownloadProgress, NetworkError, downloadDataset, downloadFile, extractArchive } from "../../lib/data/download.js";
import { DATASETS } from "../../lib/data/registry.js";
import { Rng } from "../../lib/random.js";
import { tmp, zipFile } from "./helpers.js";

const rng = new Rng(42);
const payload = Buffer.from(Array.from({ length: 300_000 }, () => rng.int(256)));
const md5 = (b: Buffer) => createHash("md5").update(b).digest("hex");

const files = new Map<string, Buffer>([["/data.bin", payload]]);
let cutNextAfter: number | undefined; // the next response stops after this many bytes
const rangeRequests: string[] = [];
let server: Server;
let base: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url === "/norange.bin") {
      res.writeHead(200, { "content-length": payload.length });
      return res.end(payload);
    }
    if (req.url === "/stall.bin") {
      res.writeHead(200, { "content-length": payload.length });
      res.write(payload.subarray(0, 1000)); // then nothing: the client must give up, not hang
      return;
    }
    if (req.url === "/moved") {
      res.writeHead(302, { location: "/data.bin" });
      return res.end();
    }
    const body = files.get(req.url ?? "");
    if (!body) {
      res.writeHead(404);
      return res.end("not found");
    }
    let start = 0;
    const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? "");
    if (range) {
      rangeRequests.push(req.headers.range!);
      start = Number(range[1]);
      if (start >= body.length) {
        res.writeHead(416, { "content-range": `bytes */${body.length}` });
        return res.end();
      }
      res.writeHead(206, { "content-length": body.length - start, "content-range": `bytes ${start}-${body.length - 1}/${body.length}` });
    } else res.writeHead(200, { "content-length": body.length });
    const cut = cutNextAfter;
    cutNextAfter = undefined;
    if (cut !== undefined) {
      // FIN, not RST (destroy): a reset could make the client's kernel drop bytes already received.
      res.write(body.subarray(start, start + cut), () => res.socket?.end());
      return;
    }
    res.end(body.subarray(start));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe("downloadFile", () => {
  it("downloads with progress and checks the MD5", async () => {
    const dest = join(tmp(), "a.bin");
    const seen: DownloadProgress[] = [];
    await downloadFile(`${base}/data.bin`, dest, { md5: md5(payload), onProgress: (p) => seen.push({ ...p }) });
    expect(readFileSync(dest).equals(payload)).toBe(true);
    expect(seen[0].received).toBe(0);
    expect(seen.at(-1)).toMatchObject({ received: payload.length, total: payload.length });
    expect(seen.length).toBeGreaterThan(2);
    expect(existsSync(`${dest}.part`)).toBe(false);
  });

  it("resumes an interrupted transfer with a Range request", async () => {
    const dest = join(tmp(), "b.bin");
    cutNextAfter = 100_000;
    await expect(downloadFile(`${base}/data.bin`, dest, { md5: md5(payload) })).rejects.toThrow(/interrupted after .* run again to resume/);
    const partial = statSync(`${dest}.part`).size;
    expect(partial).toBeGreaterThan(0);
    expect(partial).toBeLessThan(payload.length);
    rangeRequests.length = 0;
    const seen: DownloadProgress[] = [];
    await downloadFile(`${base}/data.bin`, dest, { md5: md5(payload), onProgress: (p) => seen.push({ ...p }) });
    expect(rangeRequests).toEqual([`bytes=${partial}-`]);
    expect(seen[0]).toMatchObject({ resumedFrom: partial, received: partial });
    expect(readFileSync(dest).equals(payload)).toBe(true);
  });

  it("starts over when the server ignores the Range header", async () => {
    const dest = join(tmp(), "r.bin");
    writeFileSync(`${dest}.part`, Buffer.from("stale partial bytes"));
    await downloadFile(`${base}/norange.bin`, dest, { md5: md5(payload) });
    expect(readFileSync(dest).equals(payload)).toBe(true);
  });

  it("gives up on a stalled transfer after the idle timeout, keeping what arrived", async () => {
    const dest = join(tmp(), "s.bin");
    await expect(downloadFile(`${base}/stall.bin`, dest, { idleTimeoutMs: 300 })).rejects.toThrow(/stall.bin: transfer interrupted after 1000 bytes \(no data for 0.3 s\); run again to resume/);
    expect(statSync(`${dest}.part`).size).toBe(1000);
  });

  it("follows redirects", async () => {
    const dest = join(tmp(), "c.bin");
    await downloadFile(`${base}/moved`, dest);
    expect(readFileSync(dest).equals(payload)).toBe(true);
  });

  it("fails clearly on a checksum mismatch and removes the bad file", async () => {
    const dest = join(tmp(), "d.bin");
    await expect(downloadFile(`${base}/data.bin`, dest, { md5: "0".repeat(32) })).rejects.toThrow(
      `${dest}: expected MD5 ${"0".repeat(32)}, received ${md5(payload)}; the download was removed`,
    );
    expect(existsSync(dest) || existsSync(`${dest}.part`)).toBe(false);
  });

  it("reports HTTP errors", async () => {
    await expect(downloadFile(`${base}/missing.bin`, join(tmp(), "e.bin"))).rejects.toThrow(/missing.bin: expected HTTP 200 or 206, received 404/);
  });

  it("keeps an existing file whose MD5 matches", async () => {
    const dest = join(tmp(), "f.bin");
    writeFileSync(dest, payload);
    await downloadFile(`${base}/nothing-here`, dest, { md5: md5(payload) }); // would 404 if it fetched
  });
});

describe("extractArchive", () => {
  it("extracts zip, gz and tar.gz, and refuses a zip entry escaping the folder", async () => {
    const dir = tmp();
    writeFileSync(join(dir, "x.zip"), zipFile([{ name: "sub/", data: Buffer.alloc(0) }, { name: "sub/p.bin", data: payload.subarray(0, 5000) }]));
    expect(await extractArchive(join(dir, "x.zip"), join(dir, "out"), "zip")).toEqual([join(dir, "out", "sub", "p.bin")]);
    expect(readFileSync(join(dir, "out", "sub", "p.bin")).equals(payload.subarray(0, 5000))).toBe(true);

    writeFileSync(join(dir, "y.bin.gz"), gzipSync(payload));
    await extractArchive(join(dir, "y.bin.gz"), join(dir, "out"), "gz");
    expect(readFileSync(join(dir, "out", "y.bin")).equals(payload)).toBe(true);

    const tar = await import("tar");
    mkdirSync(join(dir, "src", "DvsGesture"), { recursive: true });
    writeFileSync(join(dir, "src", "DvsGesture", "trials_to_train.txt"), "user01_lab.aedat\n");
    await tar.c({ gzip: true, file: join(dir, "t.tar.gz"), cwd: join(dir, "src") }, ["DvsGesture"]);
    await extractArchive(join(dir, "t.tar.gz"), join(dir, "out2"), "tar.gz");
    expect(readFileSync(join(dir, "out2", "DvsGesture", "trials_to_train.txt"), "utf8")).toBe("user01_lab.aedat\n");

    writeFileSync(join(dir, "evil.zip"), zipFile([{ name: "../evil.txt", data: Buffer.from("x") }]));
    await expect(extractArchive(join(dir, "evil.zip"), join(dir, "out3"), "zip")).rejects.toThrow(/would extract outside/);
    writeFileSync(join(dir, "bad.tar.gz"), gzipSync(Buffer.from("not a tar")).subarray(0, 15));
    await expect(extractArchive(join(dir, "bad.tar.gz"), join(dir, "out4"), "tar.gz")).rejects.toThrow(/bad.tar.gz: expected a tar.gz archive/);
  });
});

describe("downloadDataset", () => {
  it("fetches, verifies and extracts a data set from a mirror, then skips it the second time", async () => {
    // Serve SHD's two zips; the MD5s in the registry are the real ones, so patch them for the test.
    const info = DATASETS.shd;
    const saved = info.files;
    const zips = saved.map((f) => ({ ...f, body: zipFile([{ name: f.name.replace(/\.zip$/, ""), data: Buffer.from(`${f.name} content`) }]) }));
    zips.forEach((z) => files.set(`/${z.name}`, z.body));
    info.files = zips.map(({ body, ...f }) => ({ ...f, md5: md5(body) }));
    try {
      const dir = tmp();
      const log: string[] = [];
      await downloadDataset("shd", dir, { mirror: base, log: (l) => log.push(l) });
      expect(readFileSync(join(dir, "shd_train.h5"), "utf8")).toBe("shd_train.h5.zip content");
      expect(readFileSync(join(dir, "shd_test.h5"), "utf8")).toBe("shd_test.h5.zip content");
      expect(log.join("\n")).toMatch(/shd_train.h5.zip: MD5 verified/);
      const again: string[] = [];
      await downloadDataset("shd", dir, { mirror: base, log: (l) => again.push(l) });
      expect(again.join("\n")).toMatch(/already downloaded and extracted/);
    } finally {
      info.files = saved;
    }
  });

  it("explains where to get DVS Gesture's original file, and verifies it once placed", async () => {
    const info = DATASETS["dvs-gesture"];
    const saved = { files: info.files, manual: info.manual };
    info.files = [];
    try {
      const dir = tmp();
      const log: string[] = [];
      await downloadDataset("dvs-gesture", dir, { log: (l) => log.push(l) });
      expect(log.join("\n")).toMatch(/DvsGesture.tar.gz \(optional\): IBM's original .* needs a browser[\s\S]*put it at: .*DvsGesture.tar.gz[\s\S]*8a5c71fb11e24e5ca5b11866ca6c00a1/);
      writeFileSync(join(dir, "DvsGesture.tar.gz"), "wrong bytes");
      await expect(downloadDataset("dvs-gesture", dir)).rejects.toThrow(/DvsGesture.tar.gz: expected MD5 8a5c71fb11e24e5ca5b11866ca6c00a1, received/);
    } finally {
      Object.assign(info, saved);
    }
  });

  it("offline: names every file to fetch by hand (URL, MD5, folder); files placed there are verified and extracted without a connection", async () => {
    const info = DATASETS.shd;
    const saved = info.files;
    const zips = saved.map((f) => ({ ...f, body: zipFile([{ name: f.name.replace(/\.zip$/, ""), data: Buffer.from(`${f.name} by hand`) }]) }));
    // port 1 on the loopback: refused at once, as an unreachable host would be
    info.files = zips.map(({ body, ...f }) => ({ ...f, url: `http://127.0.0.1:1/files/${f.name}`, md5: md5(body) }));
    try {
      const dir = tmp();
      const e = await downloadDataset("shd", dir).then(() => undefined, (x: Error) => x);
      expect(e).toBeInstanceOf(NetworkError);
      const lines = e!.message.split("\n");
      expect(lines[0]).toMatch(/^shd: cannot download \(http:\/\/127\.0\.0\.1:1\/files\/shd_train\.h5\.zip: connect ECONNREFUSED 127\.0\.0\.1:1\): is this machine offline or behind a proxy\?$/);
      expect(lines[1]).toBe(`To install shd by hand, fetch these files on a machine with network access (a browser, curl -L -o NAME URL) and put them, with these names, in ${dir}:`);
      for (const f of info.files) expect(e!.message).toContain(`  ${f.name}  from ${f.url}  MD5 ${f.md5}`);
      expect(lines.at(-1)).toBe(`then run \`exodus data download shd --dir ${dir}\` again: it checks the MD5s and extracts the archives without downloading anything.`);
      for (const z of zips) writeFileSync(join(dir, z.name), z.body);
      await downloadDataset("shd", dir);
      expect(readFileSync(join(dir, "shd_test.h5"), "utf8")).toBe("shd_test.h5.zip by hand");
    } finally {
      info.files = saved;
    }
  });
});
