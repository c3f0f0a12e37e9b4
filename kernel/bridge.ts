/**
 * The link between the running bct kernel and the display helpers a notebook imports. The kernel
 * (`launch.ts`) installs a bridge on `globalThis` under a registry symbol; `kernel/display.ts` finds
 * it there. Outside the kernel (a plain Node script, a test) there is no bridge and the display
 * helpers print plain text instead.
 * @module
 */

/** The registry key of the bridge on `globalThis`. */
export const BRIDGE_KEY: unique symbol = Symbol.for("bct.kernel.bridge") as never;

/** A Jupyter `display_data` / `update_display_data` content. */
export interface DisplayMessage {
  /** MIME type -> representation (strings; binary formats base64). */
  data: Record<string, unknown>;
  metadata: Record<string, unknown>;
  /** `display_id` ties later updates to this output. */
  transient?: { display_id?: string };
}

/**
 * Objects carrying this key (display handles) are not echoed when they are a cell's last
 * expression: `display(x)` at the end of a cell shows `x` once, not also its handle.
 */
export const QUIET_KEY: unique symbol = Symbol.for("bct.kernel.quiet") as never;

/** True for an object marked with {@link QUIET_KEY}. */
export function isQuiet(x: unknown): boolean {
  return typeof x === "object" && x !== null && (x as Record<symbol, unknown>)[QUIET_KEY] === true;
}

/** What the kernel offers to display code. */
export interface KernelBridge {
  /**
   * Send a display message for the cell that is running (or ran last). `update` sends
   * `update_display_data`, which replaces every earlier output with the same display_id in place.
   */
  display(msg: DisplayMessage, update: boolean): void;
  /** Per-kernel-session state of display helpers (e.g. whether plotly.js was already embedded). */
  state: Record<string, unknown>;
  /** bct version of the kernel. */
  version: string;
}

/**
 * The bridge of the running kernel, or undefined outside the bct kernel.
 * @example
 * ```ts
 * import { kernelBridge } from "bct/kernel/bridge";
 * if (kernelBridge()) console.log("in the bct kernel");
 * ```
 */
export function kernelBridge(): KernelBridge | undefined {
  return (globalThis as Record<symbol, unknown>)[BRIDGE_KEY] as KernelBridge | undefined;
}

/** Install (or with undefined, remove) the bridge. Called by the kernel launcher and by tests. */
export function setKernelBridge(bridge: KernelBridge | undefined): void {
  const g = globalThis as Record<symbol, unknown>;
  if (bridge) g[BRIDGE_KEY] = bridge;
  else delete g[BRIDGE_KEY];
}
