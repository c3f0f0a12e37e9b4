/**
 * CT window/level: which HU range maps to black..white. The presets are the usual clinical ones as
 * listed by Radiopaedia, "Windowing (CT)" (https://radiopaedia.org/articles/windowing-ct):
 * bone W 1800 / L 400, soft tissue W 400 / L 40, lung W 1500 / L -600, brain W 80 / L 40.
 *
 * @example
 * ```ts
 * import { windowToGrey, WINDOW_PRESETS } from "bct/lib/display/window";
 * windowToGrey(400, WINDOW_PRESETS.bone); // 128 (the level is mid-grey)
 * ```
 * @module
 */
import { DisplayError } from "./errors.js";

/** A display window: centre (level) and width, in the image's units (HU for CT). */
export interface WindowLevel {
  center: number;
  width: number;
}

/** Clinical window presets (Radiopaedia, "Windowing (CT)"). */
export const WINDOW_PRESETS = {
  bone: { center: 400, width: 1800 },
  softTissue: { center: 40, width: 400 },
  lung: { center: -600, width: 1500 },
  brain: { center: 40, width: 80 },
} as const satisfies Record<string, WindowLevel>;

/** A preset name. */
export type WindowPreset = keyof typeof WINDOW_PRESETS;

/** The window for a preset name or explicit values. @throws DisplayError for an unknown name or width <= 0. */
export function resolveWindow(w: WindowPreset | WindowLevel): WindowLevel {
  const win = typeof w === "string" ? (WINDOW_PRESETS as Record<string, WindowLevel>)[w] : w;
  if (!win) throw new DisplayError(`unknown window preset "${String(w)}"; use one of ${Object.keys(WINDOW_PRESETS).join(", ")} or { center, width }`);
  if (!(win.width > 0) || !Number.isFinite(win.center)) {
    throw new DisplayError(`a window needs a finite center and a width > 0, got center ${win.center}, width ${win.width}`);
  }
  return win;
}

/**
 * Grey level 0..255 of value `x` under window `w`, by the linear VOI LUT function of DICOM PS3.3
 * C.11.2.1.2.1: 0 at or below `c - 0.5 - (w - 1) / 2`, 255 above `c - 0.5 + (w - 1) / 2`, linear in
 * between. NaN maps to 0.
 */
export function windowToGrey(x: number, w: WindowLevel): number {
  if (Number.isNaN(x)) return 0;
  const c = w.center - 0.5;
  const half = (w.width - 1) / 2;
  if (x <= c - half) return 0;
  if (x > c + half) return 255;
  if (w.width <= 1) return 255;
  return Math.round(((x - c) / (w.width - 1) + 0.5) * 255);
}
