/**
 * `t` when `keep`, else Infinity ("never"), computed so V8 keeps the result a raw double:
 * `keep ? t : Infinity` merges a double with the heap constant Infinity, so V8 boxes `t`
 * (one allocation per call, on paths that run once per event). `t + Infinity` is Infinity
 * for every finite `t`.
 */
export function timeOrNever(keep: boolean, t: number): number {
  return keep ? t : t + Infinity;
}
