/**
 * Where a run tree is pinned after falling back, per alias. The gateway implements it on
 * `runs.pinned_targets` of the root run, so every instance agrees; the router only asks and tells.
 */
export interface RunPins {
  /** The `provider/model` the run is pinned to for `alias`, if the pin is younger than `ttlMs`. */
  get(alias: string, ttlMs: number): Promise<string | undefined>;
  /** Pins `alias` to `target` unless a live pin exists (first writer wins); returns the pin in force. */
  set(alias: string, target: string, ttlMs: number): Promise<string>;
}
