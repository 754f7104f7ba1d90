// Imports every module that registers self-checks. Each area of the library adds one line.
import "./ops-checks.js";
import "./layer-ops-checks.js";
import "./sparse-checks.js";
import "./neuron-checks.js";
import "./rlif-checks.js";
import "./recurrent-checks.js";
import "./edge-checks.js";
import "./vision-checks.js";
import "./fast-path-checks.js";
import "./delay-checks.js";
import "./cuba-checks.js";
import "./adlif-checks.js";
