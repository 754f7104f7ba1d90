// The fair-peer rules of the benchmarks (benchmarks/peer-conditions.ts): the BLAS is named from
// the libraries mapped into the peer's process, the netlib reference BLAS withholds every ratio
// with the fix, and the peer is timed at exodus's thread count and at each count up to the cores.
import { describe, expect, it } from "vitest";
import { blasVerdict, handicappedPeer, peerThreadCounts } from "../../benchmarks/peer-conditions.js";

const OPENBLAS = [
  "/usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3",
  "/usr/lib/x86_64-linux-gnu/openblas-pthread/liblapack.so.3",
  "/usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblasp-r0.3.21.so",
];
const REFERENCE = ["/usr/lib/x86_64-linux-gnu/blas/libblas.so.3.11.0", "/usr/lib/x86_64-linux-gnu/lapack/liblapack.so.3.11.0"];

describe("fair peers", () => {
  it("names the BLAS from the mapped files, not torch's BLAS_INFO", () => {
    expect(blasVerdict({ info: "generic", libraries: OPENBLAS })).toEqual({ name: "OpenBLAS 0.3.21 (pthread)", kind: "optimised" });
    expect(blasVerdict({ info: "generic", libraries: ["/usr/lib/x86_64-linux-gnu/openblas-openmp/libopenblaso-r0.3.26.so"] })).toEqual({ name: "OpenBLAS 0.3.26 (openmp)", kind: "optimised" });
    expect(blasVerdict({ info: "generic", libraries: ["/opt/intel/lib/libmkl_core.so.2"] }).kind).toBe("optimised");
    expect(blasVerdict({ info: "generic", libraries: ["/usr/lib/x86_64-linux-gnu/blis-pthread/libblis.so.4"] }).name).toBe("BLIS");
    const ref = blasVerdict({ info: "generic", libraries: REFERENCE });
    expect(ref.kind).toBe("reference");
    expect(ref.name).toMatch(/^netlib reference BLAS \(\/usr\/lib\/x86_64-linux-gnu\/blas\/libblas\.so\.3\.11\.0\)$/);
    const unknown = blasVerdict({ info: "generic", libraries: [] });
    expect(unknown.kind).toBe("unknown");
    expect(unknown.name).toMatch(/BLAS_INFO=generic; libraries: none mapped/);
  });

  it("withholds the ratio against the reference BLAS and says how to fix it", () => {
    expect(handicappedPeer({ info: "generic", libraries: OPENBLAS })).toBeUndefined();
    expect(handicappedPeer({ info: "generic", libraries: [] })).toBeUndefined();
    const why = handicappedPeer({ info: "generic", libraries: REFERENCE });
    expect(why).toMatch(/reference BLAS/);
    expect(why).toMatch(/no speed-up against it is printed/);
    expect(why).toMatch(/apt-get install libopenblas0-pthread/);
  });

  it("times the peer at exodus's thread count and at its own best", () => {
    expect(peerThreadCounts(2, 2)).toEqual([1, 2]);
    expect(peerThreadCounts(1, 2)).toEqual([1, 2]);
    expect(peerThreadCounts(3, 2)).toEqual([1, 2, 3]);
    expect(peerThreadCounts(4, 4)).toEqual([1, 2, 3, 4]);
    expect(peerThreadCounts(16, 16)).toEqual([1, 8, 16]);
    expect(peerThreadCounts(6, 16)).toEqual([1, 6, 8, 16]);
  });
});
