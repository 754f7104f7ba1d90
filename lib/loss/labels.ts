// Class labels as losses read them: host integers in [0, classes), one per row. A bad label is an
// error naming it, its row and the class count (the native kernels would only see a float).
import { ExodusError, ShapeError, describe } from "../errors.js";
import { Tensor } from "../tensor.js";

export class LabelError extends ExodusError {}

/** Checks labels against rows × classes and returns them as host numbers. */
export function checkLabels(what: string, labels: Tensor | ArrayLike<number>, rows: number, classes: number): ArrayLike<number> {
  const host = labels instanceof Tensor ? labels.toArray() : labels;
  if (host === null || typeof host !== "object" || typeof host.length !== "number")
    throw new LabelError(`${what}: expected the labels as an array of class indices, received ${describe(host)}`);
  if (host.length !== rows) throw new ShapeError(`${what}: expected ${rows} labels (one per row of the batch), received ${host.length}`);
  for (let i = 0; i < host.length; i++) {
    const l = host[i];
    if (typeof l !== "number" || !Number.isInteger(l) || l < 0 || l >= classes)
      throw new LabelError(
        `${what}: label ${describe(l)} in row ${i} is not a class index: expected an integer in [0, ${classes}) for ${classes} classes` +
          (typeof l === "number" && l === classes ? " (labels count from 0)" : ""),
      );
  }
  return host;
}
