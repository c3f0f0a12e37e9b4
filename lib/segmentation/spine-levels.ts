/**
 * Automatic vertebral level naming without a label map, S1 and L5 up to T10: find the vertebral
 * column in a calibrated density volume, find the intervertebral discs along it, name the levels by
 * counting up from the sacrum where it is in view and otherwise from the ribs (T12 is the lowest
 * rib-bearing vertebra), cross-check the two, and cut out one vertebra, named or holding a point.
 *
 * The method (density in mg/cm3 K2HPO4, world LPS mm; the scan must be axial), one file per step:
 * 1. **Column track** (spine-levels-column.ts). The density, clamped to [-100, 400] and box-smoothed
 *    over about 9 mm, is thresholded at {@link COLUMN_THRESHOLD}: between soft tissue and disc, so
 *    bodies and discs form one solid rod whatever holes the trabecular bone has. In each axial slice
 *    the largest inscribed circle (2D distance-transform maximum) within +/-25 mm left-right of the body
 *    outline's centre is the column centre. The longest run of slices with a circle of radius >= 8 mm
 *    is kept and smoothed by robust (bisquare) local linear regression over +/-12 mm of z (its tangent
 *    over +/-20 mm): a curved centreline with its local direction (lordosis included).
 * 2. **Discs** (spine-levels-discs.ts). Along the centreline, in 1 mm steps of z, the median density
 *    over a 6 mm radius disc *perpendicular to the local tangent* (trilinear samples), so the tilted
 *    L5/S1 disc does not read as bone. Discs are local minima of the (2 mm Gaussian-smoothed) profile,
 *    each scored by its depth below the lower of the two highest points within 15 mm on either side
 *    (the endplates); its extent is where the profile climbs back halfway to that level. A best-chain
 *    search (dynamic programming over pairs: maximal summed depth less the change of spacing from one
 *    pair of discs to the next) keeps discs 22-45 mm apart, off the shallower minima at mid-body.
 * 3. **Sacrum** (spine-levels-sacrum.ts). Per axial slice, the bone (> {@link LEVEL_BONE_THRESHOLD})
 *    connected in the slice to the column centre within an antero-posterior band: at the sacrum it runs
 *    through the alae and the sacroiliac joints into both ilia, reaching {@link SACRAL_HALF_WIDTH_MM}
 *    on both sides. The lowest run of at least two such slices in the lower half of the column is the
 *    sacrum; the deepest disc minimum from 10 mm below to 25 mm above its top is L5/S1, and the chain
 *    of discs starts there.
 * 4. **Ribs** (spine-levels-ribs.ts). Bone components (26-connected) outside a 30 mm half-width slab
 *    around the column that reach the slab's edge beside or behind the body centre and run out to
 *    >= 70 mm laterally: the level of a rib's medial end bears ribs.
 * 5. **Naming** (spine-levels-naming.ts). With a sacrum, the levels between the discs are, bottom up,
 *    S1, L5, L4, ..., T10, and the lowest rib-bearing level must be T12 (a warning otherwise: a lumbar
 *    rib, a missed 12th rib, or a miscount; the names follow the sacrum). Without a sacrum (chest and
 *    upper abdomen scans, or a scan cut above L5), the lowest rib-bearing level is T12 and the others
 *    are counted from it, with a warning that the count is unchecked. Ribs whose lowest level differs
 *    left and right (the 11th/12th rib cross-check), lumbar disc-to-disc heights more than 30% off their
 *    median, and bone joined to both ilia within L5 (a transitional vertebra) are warned of. Without
 *    either, {@link nameLumbarLevels} throws a {@link LevelNamingError}; {@link vertebraAtPoint} still
 *    cuts out the (unnamed) vertebra holding a point.
 *
 * {@link lumbarVertebraMask} and {@link vertebraMask} (spine-levels-mask.ts) cut one complete level
 * out: bone between its discs' endplate planes, closed and filled. The disc planes are world planes,
 * so a naming made on a coarse grid (fast) can cut the vertebra out of the full-resolution density.
 *
 * On the example scan (3 mm voxels) this names S1 to T12 as TotalSegmentator does, finds every disc
 * within 2 mm of TotalSegmentator's disc label, both 12th ribs at T12, and gives vertebral bodies
 * (after isolateVertebralBody) with Dice 0.89-0.94 against TotalSegmentator's (L1 0.92); cut above L5,
 * it names L4 to T12 from the ribs alone; test/segmentation/spine-levels.test.ts. Contrast-filled
 * vessels or bowel beside the column, transitional vertebrae, lumbar ribs and short 12th ribs are its
 * known limits.
 *
 * The numbers marked "tuned" were set on the TotalSegmentator example scan (3 mm slices) and its
 * labels; they are choices, not published values.
 *
 * @example
 * ```ts
 * import { nameLumbarLevels, lumbarVertebraMask, vertebraAtPoint } from "bct/lib/segmentation/spine-levels";
 * import { isolateVertebralBody } from "bct/lib/segmentation/vertebra";
 * const naming = nameLumbarLevels(density);       // from the sacrum, or from the ribs
 * for (const w of naming.warnings) console.warn(w);
 * const L1 = lumbarVertebraMask(density, "L1", { naming });
 * const { body } = isolateVertebralBody(L1);
 * const picked = vertebraAtPoint(density, [4, -130, 352]); // the vertebra holding a point
 * ```
 * @module
 */
export {
  COLUMN_THRESHOLD, LEVEL_BONE_THRESHOLD, LevelNamingError, PointNotInVertebraError, SACRAL_HALF_WIDTH_MM, SPINE_LEVELS_BOTTOM_UP, VERTEBRA_CLOSING_MM,
  type ColumnLevel, type DiscPlane, type NamedLevel, type RibEvidence, type SpineLevelName, type SpineLevelOptions, type SpineLevelsResult,
} from "./spine-levels-common.js";
export { nameLumbarLevels, namedOrThrow, surveyColumn, type ColumnSurvey } from "./spine-levels-naming.js";
export { findNamedLevel, lumbarVertebraMask, vertebraAtPoint, vertebraMask, type LumbarMaskOptions, type VertebraPick } from "./spine-levels-mask.js";
