// The float64 reference of the neuron layers lives in lib/selftest/neuron-reference.ts so that
// `exodus selftest` can use it too; it shares no code with the kernels or the layers.
export * from "../../lib/selftest/neuron-reference.js";
