// How exodus's discrete-time layers map onto NIR's continuous-time nodes (docs/formats.md).
//
// NIR states LIF as τ·dv/dt = (v_leak − v) + R·I. exodus steps v[t] = α·v[t−1] + g·x[t] with
// g = 1 (or 1 − α with normInput). Forward Euler with step dt gives
//   v[t] = (1 − dt/τ)·v[t−1] + (dt/τ)·R·x[t],
// so α = 1 − dt/τ and g = R·dt/τ, i.e. τ = dt/(1 − α), R = 1/(1 − α) (g = 1) or R = 1 (normInput).
// IF (no leak): v[t] = v[t−1] + dt·R·x[t] → R = 1/dt. LI / I likewise for ExpLeak's β.
// dt is recorded in the graph's metadata ("dt"); τ and R are written in float64 so that α comes
// back bit for bit (1 − α is exact in double, and one double rounding is far below float32's).
export const CONVENTION =
  "forward Euler with step dt (graph metadata 'dt'): v[t] = (1 - dt/tau) v[t-1] + (dt/tau) r x[t] (LIF, LI), " +
  "v[t] = v[t-1] + dt r x[t] (IF, I); exodus spikes when v >= v_threshold (NIR: v > v_threshold), then resets to v_reset = 0";

/** Tolerance for "this gain is 1" when reading parameters another tool wrote in float32. */
export const GAIN_TOL = 1e-6;

export function tauFromDecay(decay: number, dt: number): number {
  return dt / (1 - decay);
}

export function decayFromTau(tau: number, dt: number): number {
  return 1 - dt / tau;
}
