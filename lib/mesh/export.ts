/**
 * Exports of a meshed bone: per-element fields (density, modulus, risk, yield state) as a volume on
 * the element grid, ready for `writeNifti` (so any viewer overlays them on the CT, since the grid
 * keeps its world placement); the model with its load case as a CalculiX/Abaqus deck goes through
 * `writeInp` (lib/fe/inp), and the surface through `stlBinary` (./surface).
 *
 * @example
 * ```ts
 * writeNifti(elementFieldVolume(grid, model.modulus), "modulus.nii.gz", { datatype: "float32" });
 * writeInp("femur.inp", model, bc.bcs);
 * ```
 * @module
 */
import { createVolume, indexToWorld, type Volume } from "../volume/volume.js";
import { MeshError, type ElementGrid } from "./voxelize.js";

/**
 * A volume with one voxel per grid element holding `values[q]` for active element q (`fill` for the
 * others). Voxel (i, j, k) is element (i, j, k): its centre is the element centre in the world.
 * @throws MeshError when `values` does not have one value per active element.
 */
export function elementFieldVolume(grid: Pick<ElementGrid, "dims" | "elementSize" | "origin" | "direction" | "elements">, values: ArrayLike<number>, fill = 0): Volume<Float32Array> {
  if (values.length !== grid.elements.length) {
    throw new MeshError(`the field has ${values.length} values for ${grid.elements.length} elements`);
  }
  const data = new Float32Array(grid.dims[0] * grid.dims[1] * grid.dims[2]).fill(fill);
  for (let q = 0; q < grid.elements.length; q++) data[grid.elements[q]] = values[q];
  // The grid origin is the outer corner of element (0,0,0): its centre is half an element further.
  const corner = { spacing: grid.elementSize, origin: grid.origin, direction: grid.direction };
  return createVolume({ dims: grid.dims, spacing: grid.elementSize, origin: indexToWorld(corner, [0.5, 0.5, 0.5]), direction: grid.direction, data });
}
