import { describe, expect, it } from "vitest";
import { createVolume, type Mat3, type Vec3 } from "../../lib/volume/volume.js";
import { sliceImage, patientAxes } from "../../lib/display/slice.js";
import { orthoSlicesBundle, sliceBundle } from "../../lib/display/slice-view.js";
import { windowToGrey, WINDOW_PRESETS, resolveWindow } from "../../lib/display/window.js";
import { colormapRgb } from "../../lib/display/colormap.js";
import { DisplayError } from "../../lib/display/errors.js";
import { decodePng } from "./png-decode.js";

/** value = i + 10 j + kStep k; window {128, 256} maps values 0..255 to the same grey level. */
function coded(dims: Vec3, direction?: Mat3, spacing: Vec3 = [1, 1, 1], kStep = 100) {
  const v = createVolume({ dims, spacing, direction });
  for (let k = 0; k < dims[2]; k++) for (let j = 0; j < dims[1]; j++) for (let i = 0; i < dims[0]; i++) v.data[i + dims[0] * (j + dims[1] * k)] = i + 10 * j + kStep * k;
  return v;
}
const IDENTITY_WINDOW = { center: 128, width: 256 };
const grey = (img: { width: number; rgb: Uint8Array }, x: number, y: number) => img.rgb[(y * img.width + x) * 3];

describe("window/level", () => {
  it("follows the DICOM linear VOI function for the bone preset (W 1800, L 400)", () => {
    const w = WINDOW_PRESETS.bone;
    expect(windowToGrey(400, w)).toBe(128); // ((400 - 399.5) / 1799 + 0.5) * 255 = 127.57
    expect(windowToGrey(-500, w)).toBe(0); // at the lower edge c - 0.5 - (w - 1) / 2
    expect(windowToGrey(1299.5, w)).toBe(255);
    expect(windowToGrey(0, w)).toBe(Math.round(((0 - 399.5) / 1799 + 0.5) * 255)); // 71
    expect(windowToGrey(0, w)).toBe(71);
  });
  it("soft tissue: W 400 / L 40", () => {
    expect(windowToGrey(40, WINDOW_PRESETS.softTissue)).toBe(128);
    expect(windowToGrey(-160, WINDOW_PRESETS.softTissue)).toBe(0);
    expect(windowToGrey(240, WINDOW_PRESETS.softTissue)).toBe(255);
  });
  it("rejects unknown presets and non-positive widths", () => {
    expect(() => resolveWindow("femur" as never)).toThrow(DisplayError);
    expect(() => resolveWindow({ center: 0, width: 0 })).toThrow(/width > 0/);
  });
});

describe("sliceImage orientation", () => {
  it("axial through an identity-direction volume: columns i (R->L), rows j (A->P)", () => {
    const v = coded([4, 3, 2]);
    const img = sliceImage(v, { plane: "axial", index: 1, window: IDENTITY_WINDOW, minSize: 1 });
    expect([img.width, img.height, img.count]).toEqual([4, 3, 2]);
    for (let y = 0; y < 3; y++) for (let x = 0; x < 4; x++) expect(grey(img, x, y)).toBe(x + 10 * y + 100);
    expect(img.position).toBe(1);
  });

  it("flips axes that point the other way (NIfTI-style direction diag(-1, -1, 1))", () => {
    const v = coded([4, 3, 2], [-1, 0, 0, 0, -1, 0, 0, 0, 1]);
    const img = sliceImage(v, { plane: "axial", index: 0, window: IDENTITY_WINDOW, minSize: 1 });
    // image column x goes toward patient left = voxel i decreasing
    expect(grey(img, 0, 0)).toBe(3 + 10 * 2);
    expect(grey(img, 3, 2)).toBe(0);
  });

  it("coronal: superior at the top; sagittal: anterior on the left", () => {
    const v = coded([4, 3, 5], undefined, [1, 1, 1], 50);
    const cor = sliceImage(v, { plane: "coronal", index: 2, window: IDENTITY_WINDOW, minSize: 1 });
    expect([cor.width, cor.height]).toEqual([4, 5]);
    expect(grey(cor, 1, 0)).toBe(1 + 20 + 50 * 4); // top row = highest k
    expect(grey(cor, 1, 4)).toBe(1 + 20);
    const sag = sliceImage(v, { plane: "sagittal", index: 3, window: IDENTITY_WINDOW, minSize: 1 });
    expect([sag.width, sag.height]).toEqual([3, 5]);
    expect(grey(sag, 0, 4)).toBe(3); // anterior (j = 0) left, inferior bottom
    expect(grey(sag, 2, 0)).toBe(3 + 20 + 200);
  });

  it("a permuted direction (voxel k along patient y) still gives a true coronal view", () => {
    // columns of D: i -> x, j -> z, k -> y
    const v = coded([4, 5, 3], [1, 0, 0, 0, 0, 1, 0, 1, 0]);
    expect(patientAxes(v.direction)).toEqual({ voxelAxis: [0, 2, 1], sign: [1, 1, 1] });
    const cor = sliceImage(v, { plane: "coronal", index: 1, window: IDENTITY_WINDOW, minSize: 1 });
    expect([cor.width, cor.height, cor.count]).toEqual([4, 5, 3]);
    expect(grey(cor, 2, 0)).toBe(2 + 10 * 4 + 100 * 1); // top = highest j (superior)
  });

  it("keeps true proportions for anisotropic voxels and enlarges small slices", () => {
    const v = coded([4, 3, 5], undefined, [1, 1, 2]);
    const cor = sliceImage(v, { plane: "coronal", window: IDENTITY_WINDOW, minSize: 1 });
    expect([cor.width, cor.height]).toEqual([4, 10]);
    expect(grey(cor, 0, 0)).toBe(grey(cor, 0, 1)); // one 2 mm voxel -> two 1 mm pixels
    const big = sliceImage(v, { plane: "coronal", window: IDENTITY_WINDOW, minSize: 40 });
    expect([big.width, big.height]).toEqual([16, 40]);
    expect(big.pixelSize).toBeCloseTo(0.25);
  });

  it("paints mask and field overlays", () => {
    const v = coded([4, 3, 2]);
    const mask = createVolume({ dims: [4, 3, 2], data: new Uint8Array(24) });
    mask.data[1 + 4 * 2 + 12] = 1; // voxel (1, 2, 1)
    const img = sliceImage(v, { plane: "axial", index: 1, window: IDENTITY_WINDOW, minSize: 1, overlays: [{ kind: "mask", volume: mask, color: [255, 0, 0], opacity: 1 }] });
    expect(Array.from(img.rgb.subarray((2 * 4 + 1) * 3, (2 * 4 + 1) * 3 + 3))).toEqual([255, 0, 0]);
    expect(grey(img, 0, 0)).toBe(100);

    const field = createVolume({ dims: [4, 3, 2] });
    field.data.fill(NaN);
    field.data[0 + 12] = 5; // (0, 0, 1) at the range's low end
    field.data[3 + 12] = 10;
    const f = sliceImage(v, { plane: "axial", index: 1, window: IDENTITY_WINDOW, minSize: 1, overlays: [{ kind: "field", volume: field, opacity: 1, label: "E (MPa)" }] });
    expect(Array.from(f.rgb.subarray(0, 3))).toEqual(colormapRgb("viridis", 0));
    expect(Array.from(f.rgb.subarray(9, 12))).toEqual([253, 231, 37]);
    expect(grey(f, 1, 0)).toBe(101); // NaN: not painted
    expect(f.fieldRanges).toEqual([{ label: "E (MPa)", range: [5, 10], colormap: "viridis" }]);
  });

  it("rejects overlays on another grid and slice numbers out of range", () => {
    const v = coded([4, 3, 2]);
    const other = createVolume({ dims: [4, 3, 3] });
    expect(() => sliceImage(v, { plane: "axial", overlays: [{ kind: "mask", volume: other }] })).toThrow(/dims 4x3x3/);
    expect(() => sliceImage(v, { plane: "axial", index: 2 })).toThrow(DisplayError);
  });
});

describe("slice bundles", () => {
  it("sliceBundle's PNG decodes to the windowed pixels", () => {
    const v = createVolume({ dims: [8, 8, 4] });
    v.data.fill(-1000);
    v.data[2 + 8 * 5 + 64 * 2] = 400; // (2, 5, 2): level of the bone window
    v.data[3 + 8 * 5 + 64 * 2] = 3000;
    const b = sliceBundle(v, { plane: "axial", index: 2, window: "bone", minSize: 1 });
    const png = decodePng(Buffer.from(b.data["image/png"] as string, "base64"));
    expect([png.width, png.height, png.channels]).toEqual([8, 8, 3]);
    expect(png.data[(5 * 8 + 2) * 3]).toBe(128);
    expect(png.data[(5 * 8 + 3) * 3]).toBe(255);
    expect(png.data[0]).toBe(0);
    expect(b.metadata).toEqual({ "image/png": { width: 8, height: 8 } });
    expect(b.data["text/plain"]).toMatch(/^axial 3\/4 \(z = 2\.0 mm\), W 1800 \/ L 400/);
  });

  it("orthoSlicesBundle holds three inline PNGs and a colour bar per field", () => {
    const v = coded([6, 5, 4]);
    const field = coded([6, 5, 4]);
    const b = orthoSlicesBundle(v, { title: "T <1>", overlays: [{ kind: "field", volume: field, label: "density" }] });
    const html = b.data["text/html"] as string;
    expect(html.match(/src="data:image\/png;base64,/g)).toHaveLength(3);
    expect(html).toContain("T &lt;1&gt;");
    expect(html).toContain("density: 0");
    expect(b.data["text/plain"]).toContain("sagittal");
  });
});
