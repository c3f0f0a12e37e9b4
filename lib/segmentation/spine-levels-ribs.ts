/**
 * Level naming, step 4: the ribs (see spine-levels.ts). Bone components outside a slab around the
 * column that reach the slab's edge beside or behind the body centre and run out laterally: the
 * level of a rib's medial end bears ribs, and T12 is the lowest rib-bearing vertebra.
 * @module
 */
import { indexToWorld, type Vec3, type Volume } from "../volume/volume.js";
import { connectedComponents } from "./components.js";
import type { Grid } from "./spine-levels-common.js";
import type { TrackPoint } from "./spine-levels-column.js";

/** Ribs: the slab around the column cut away (mm each side), and the lateral reach a rib must have (mm). */
const RIB_SLAB_MM = 30;
const RIB_REACH_MM = 70;

export interface RibFound { medialEnd: Vec3; lateralReachMm: number; side: "left" | "right" }

/**
 * Ribs: components of bone outside the slab |x - centre x| < {@link RIB_SLAB_MM} (over the track's
 * slices) that touch the slab's edge behind the body centre, reach {@link RIB_REACH_MM} laterally and
 * lie wholly above the sacrum (`sacralTopZ`; -Infinity without one). A transverse process does not reach that far; an ilium reaches below.
 */
export function findRibs(density: Volume, g: Grid, track: TrackPoint[], boneThreshold: number, sacralTopZ: number): RibFound[] {
  const { nx, ny, nz } = g;
  const byK = new Map(track.map((t) => [t.k, t]));
  const m = new Uint8Array(nx * ny * nz);
  for (const t of track) {
    const o = indexToWorld(density, [0, 0, t.k]);
    for (let j = 0; j < ny; j++) for (let i = 0; i < nx; i++) {
      const p = i + nx * (j + ny * t.k);
      if (density.data[p] <= boneThreshold) continue;
      const dx = o[0] + i * g.ei[0] + j * g.ej[0] - t.point[0];
      if (Math.abs(dx) >= RIB_SLAB_MM) m[p] = 1;
    }
  }
  const cc = connectedComponents({ data: m, dims: density.dims }, 26);
  const vox = density.spacing[0] * density.spacing[1] * density.spacing[2];
  const st = Array.from({ length: cc.count }, () => ({ n: 0, minLat: Infinity, maxLat: 0, zMin: Infinity, side: 0 }));
  const lat = (p: number): { lat: number; dx: number; dy: number; w: Vec3 } => {
    const i = p % nx, j = Math.floor(p / nx) % ny, k = Math.floor(p / (nx * ny));
    const w = indexToWorld(density, [i, j, k]);
    const t = byK.get(k)!;
    const dx = w[0] - t.point[0];
    return { lat: Math.abs(dx), dx, dy: w[1] - t.point[1], w };
  };
  for (let p = 0; p < m.length; p++) {
    const l = cc.labels[p];
    if (!l) continue;
    const s = st[l - 1];
    const q = lat(p);
    s.n++;
    if (q.lat < s.minLat) { s.minLat = q.lat; s.side = Math.sign(q.dx); }
    if (q.lat > s.maxLat) s.maxLat = q.lat;
    if (q.w[2] < s.zMin) s.zMin = q.w[2];
  }
  const edge = RIB_SLAB_MM + 1.5 * Math.max(density.spacing[0], density.spacing[1]);
  const ribs: RibFound[] = [];
  st.forEach((s, c) => {
    // a rib: touches the slab edge, runs out laterally, lies above the sacrum, is not a pelvis-sized mass (> 50 cm3)
    if (s.minLat > edge || s.maxLat < RIB_REACH_MM || s.zMin <= sacralTopZ || s.n * vox > 50_000) return;
    // medial end: the voxels within one voxel of the closest approach
    const end: Vec3 = [0, 0, 0];
    let ne = 0, dyMean = 0;
    for (let p = 0; p < m.length; p++) {
      if (cc.labels[p] !== c + 1) continue;
      const q = lat(p);
      if (q.lat > s.minLat + Math.max(density.spacing[0], density.spacing[1])) continue;
      end[0] += q.w[0]; end[1] += q.w[1]; end[2] += q.w[2]; dyMean += q.dy; ne++;
    }
    dyMean /= ne;
    // the rib's medial end lies beside or behind the body centre (LPS +y posterior), not in front of it
    if (dyMean < -10 || dyMean > 50) return;
    ribs.push({ medialEnd: [end[0] / ne, end[1] / ne, end[2] / ne], lateralReachMm: s.maxLat, side: s.side > 0 ? "left" : "right" });
  });
  return ribs;
}
