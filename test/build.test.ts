// What the installed build contains.
import { describe, expect, it } from "vitest";
import { runtimeInfo } from "../lib/index.js";

describe("build", () => {
  const info = runtimeInfo();
  it("reports a version and CPU threads", () => {
    expect(info.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(info.cpu.threads).toBeGreaterThan(0);
  });
  // CI sets EXODUS_REQUIRE_CUDA_BUILD=1 when nvcc is present: the CUDA backend must be compiled in.
  it.skipIf(process.env.EXODUS_REQUIRE_CUDA_BUILD !== "1")("compiled the CUDA backend for sm_75..sm_90 plus PTX", () => {
    expect(info.cuda.compiled).toBe(true);
    expect(info.cuda.archs).toEqual(expect.arrayContaining(["75-real", "80-real", "86-real", "89-real", "90-real", "90-virtual"]));
  });
  it("explains why CUDA is not usable when it is not", () => {
    if (!info.cuda.usable) expect(info.cuda.reason.length).toBeGreaterThan(10);
    else expect(info.cuda.devices.length).toBeGreaterThan(0);
  });
});
