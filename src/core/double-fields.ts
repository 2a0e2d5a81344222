/**
 * Makes the named number fields of `obj` double fields in V8 from construction on.
 *
 * V8 picks a field's representation from the first value stored: a field that starts at 0
 * (a small integer) and later holds a fraction of a second or a byte count past 2^31 is
 * widened mid-run, which deprecates the object's map and throws away every optimized
 * function that saw it (a cascade of "wrong map" deopts; `node --trace-generalization`).
 * Storing a non-integer once before the value itself widens the field while nothing is
 * optimized yet; the value stored is the same, so results cannot change. Call it at the
 * end of a constructor, after every named field holds its starting value.
 */
export function seedDoubleFields(obj: object, names: readonly string[]): void {
  const fields = obj as Record<string, number>;
  for (const name of names) {
    const value = fields[name];
    // A misspelt or renamed field would be added here, changing the map this is meant to keep.
    if (typeof value !== 'number') throw new Error(`seedDoubleFields: ${name} is not a number field`);
    fields[name] = 0.5;
    fields[name] = value;
  }
}
