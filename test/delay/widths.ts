// The window widths the window path's tests run (window-events.test.ts, window-forward-lanes.test.ts):
// [name, D, σ, perNeuron], W = min(2⌈4σ⌉ + 2, D + 1) taps — one vector per synapse (W ≤ 8), two
// (W 9..16; the correlation up to 12 taps), a hard delay (W 1) and a window too wide for the spikes (W 22).
export const WINDOW_WIDTHS: [string, number, number, boolean][] = [
  ["W 6 (σ 0.5)", 25, 0.5, false],
  ["W 8 (σ 0.7), per neuron", 12, 0.7, true],
  ["W 12 (σ 1.2)", 20, 1.2, false],
  ["W 14 (σ 1.5, the correlation on the expanded kernel)", 20, 1.5, false],
  ["W 1 (σ 0, hard delays)", 9, 0, false],
  ["W 22 (σ 2.5: too wide for the spikes)", 30, 2.5, false],
];
