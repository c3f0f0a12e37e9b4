/**
 * Boundary conditions on node sets, and how they turn into equations.
 *
 * - `displacement`: one component of a set of nodes is prescribed (0 = fixed).
 * - `force`: a nodal force on every node of a set (N per node).
 * - `rigid`: a rigid cap. The nodes of the set follow a reference point with 6 degrees of freedom
 *   (3 translations, 3 small rotations): u_s = u_ref + theta x (x_s - x_ref). Each reference DOF is
 *   either prescribed (a displacement/rotation) or loaded (a force/moment, default 0).
 *
 * A cap may carry its own `axes` (3x3, row-major, columns = unit local axes): its 6 reference DOFs,
 * prescribed values, loads and reactions are then along those axes, so a load or a support along an
 * oblique direction (a fall direction, a tilted endplate) is exact: u_ref = A t, theta = A r.
 *
 * Rigid caps are done by master-slave elimination, not by penalty: the unknowns are the free node
 * DOFs plus the 6 reference DOFs per cap, the slave DOFs are eliminated through the transformation
 * T (u_full = T u_reduced), and the solver works on T^T K T, which stays symmetric positive definite
 * and exact (no penalty factor to tune, no ill-conditioning). Matrix-free this is cheap: "expand"
 * before each product with K, "condense" after. The reaction at a reference point is the force and
 * moment the cap transmits.
 * @module
 */
import { ModelError } from "./errors.js";

export type Component = 0 | 1 | 2;

/** One boundary condition on a node set (node numbers of the model, 0-based). */
export type BoundaryCondition =
  | { kind: "displacement"; nodes: ArrayLike<number>; component: Component; value: number; set?: string }
  | { kind: "force"; nodes: ArrayLike<number>; component: Component; value: number; set?: string }
  | {
      kind: "rigid";
      nodes: ArrayLike<number>;
      /** Reference point (mm). */
      reference: readonly [number, number, number];
      /** Prescribed [ux, uy, uz, rx, ry, rz] (mm, rad); null or missing = free. */
      displacement?: readonly (number | null | undefined)[];
      /** Applied [Fx, Fy, Fz, Mx, My, Mz] (N, N mm) on the free reference DOFs. */
      load?: readonly number[];
      /** Local axes of the reference DOFs (3x3 row-major, orthonormal columns); default the model axes. */
      axes?: ArrayLike<number>;
      set?: string;
    };

/**
 * All three components of a set fixed.
 * @example
 * const bcs = [...fixed(bottomNodes, "NFIX"), { kind: "displacement", nodes: top, component: 2, value: -0.1 }];
 */
export function fixed(nodes: ArrayLike<number>, set?: string): BoundaryCondition[] {
  return ([0, 1, 2] as const).map((component) => ({ kind: "displacement", nodes, component, value: 0, set }));
}

/** A rigid cap after resolution. */
export interface RigidCap {
  reference: [number, number, number];
  nodes: Int32Array;
  /** x_s - x_ref, 3 per slave node. */
  arms: Float64Array;
  /** Local axes (3x3 row-major, columns), or undefined for the model axes. */
  axes?: Float64Array;
  set?: string;
}

/** BCs resolved into DOF arrays over the extended vector (3 per node, then 6 per cap). */
export interface Constraints {
  nodeCount: number;
  /** Length of the extended DOF vector: 3 * nodeCount + 6 * caps.length. */
  n: number;
  /** 1 where the DOF is prescribed. */
  prescribed: Uint8Array;
  /** Prescribed values (0 elsewhere). */
  value: Float64Array;
  /** External forces (node forces and reference loads). */
  force: Float64Array;
  caps: RigidCap[];
  /** Every DOF that is not an unknown of the solve: prescribed and slave DOFs, ascending. */
  constrainedDofs: Int32Array;
}

/** Turn BCs into DOF arrays; `position(node)` gives node coordinates (needed for rigid caps). */
export function resolveConstraints(
  nodeCount: number, bcs: readonly BoundaryCondition[], position: (node: number) => readonly number[],
): Constraints {
  const rigid = bcs.filter((b) => b.kind === "rigid");
  const n = 3 * nodeCount + 6 * rigid.length;
  const prescribed = new Uint8Array(n), value = new Float64Array(n), force = new Float64Array(n);
  const slaveOf = new Int32Array(nodeCount).fill(-1);
  const check = (node: number, what: string) => {
    if (!(Number.isInteger(node) && node >= 0 && node < nodeCount)) throw new ModelError(`${what} refers to node ${node}; the model has nodes 0..${nodeCount - 1}`);
  };
  const caps: RigidCap[] = [];
  for (const b of bcs) {
    if (b.kind === "displacement") {
      for (let k = 0; k < b.nodes.length; k++) {
        const d = 3 * b.nodes[k] + b.component;
        check(b.nodes[k], `displacement BC${b.set ? ` on ${b.set}` : ""}`);
        if (prescribed[d] && value[d] !== b.value) throw new ModelError(`node ${b.nodes[k]} component ${b.component + 1} is prescribed twice with different values (${value[d]}, ${b.value})`);
        prescribed[d] = 1;
        value[d] = b.value;
      }
    } else if (b.kind === "force") {
      for (let k = 0; k < b.nodes.length; k++) {
        check(b.nodes[k], `force${b.set ? ` on ${b.set}` : ""}`);
        force[3 * b.nodes[k] + b.component] += b.value;
      }
    } else {
      const c = caps.length, base = 3 * nodeCount + 6 * c;
      const nodes = Int32Array.from(b.nodes);
      if (nodes.length === 0) throw new ModelError(`rigid cap${b.set ? ` ${b.set}` : ""} has no nodes`);
      const arms = new Float64Array(3 * nodes.length);
      nodes.forEach((s, k) => {
        check(s, "rigid cap");
        if (slaveOf[s] >= 0) throw new ModelError(`node ${s} belongs to two rigid caps`);
        slaveOf[s] = c;
        const p = position(s);
        for (let d = 0; d < 3; d++) arms[3 * k + d] = p[d] - b.reference[d];
      });
      for (let d = 0; d < 6; d++) {
        const u = b.displacement?.[d];
        if (u !== null && u !== undefined) { prescribed[base + d] = 1; value[base + d] = u; }
        force[base + d] = b.load?.[d] ?? 0;
      }
      let axes: Float64Array | undefined;
      if (b.axes) {
        axes = Float64Array.from(b.axes);
        if (axes.length !== 9) throw new ModelError(`rigid cap${b.set ? ` ${b.set}` : ""}: axes must be a 3x3 matrix (9 numbers)`);
        for (let a = 0; a < 3; a++) for (let q = 0; q < 3; q++) {
          const dot = axes[a] * axes[q] + axes[3 + a] * axes[3 + q] + axes[6 + a] * axes[6 + q];
          if (Math.abs(dot - (a === q ? 1 : 0)) > 1e-6) throw new ModelError(`rigid cap${b.set ? ` ${b.set}` : ""}: axes are not orthonormal`);
        }
      }
      caps.push({ reference: [b.reference[0], b.reference[1], b.reference[2]], nodes, arms, axes, set: b.set });
    }
  }
  for (let s = 0; s < nodeCount; s++) {
    if (slaveOf[s] < 0) continue;
    for (let c = 0; c < 3; c++) if (prescribed[3 * s + c]) throw new ModelError(`node ${s} is in a rigid cap and also has a prescribed displacement: constrain the cap's reference point instead`);
  }
  // forces on slave nodes act on the cap: move them to the reference point now
  const con: Constraints = { nodeCount, n, prescribed, value, force, caps, constrainedDofs: new Int32Array(0) };
  condenseCaps(con, force);
  const list: number[] = [];
  for (let d = 0; d < n; d++) if (prescribed[d] || (d < 3 * nodeCount && slaveOf[Math.floor(d / 3)] >= 0)) list.push(d);
  con.constrainedDofs = Int32Array.from(list);
  let anyPrescribed = false;
  for (let d = 0; d < n; d++) if (prescribed[d]) { anyPrescribed = true; break; }
  if (!anyPrescribed) throw new ModelError("the model has no prescribed displacement: it can move as a rigid body. Fix a node set (e.g. the distal end) or a rigid cap's reference point");
  return con;
}

/** Slave displacements from their reference points: u_s = u_ref + theta x arm (in place on x). */
export function expandCaps(con: Constraints, x: Float64Array): void {
  con.caps.forEach((cap, c) => {
    const r = 3 * con.nodeCount + 6 * c;
    let ux = x[r], uy = x[r + 1], uz = x[r + 2], tx = x[r + 3], ty = x[r + 4], tz = x[r + 5];
    const A = cap.axes;
    if (A) {
      // local -> model axes: v_g = A v_l
      [ux, uy, uz] = [A[0] * ux + A[1] * uy + A[2] * uz, A[3] * ux + A[4] * uy + A[5] * uz, A[6] * ux + A[7] * uy + A[8] * uz];
      [tx, ty, tz] = [A[0] * tx + A[1] * ty + A[2] * tz, A[3] * tx + A[4] * ty + A[5] * tz, A[6] * tx + A[7] * ty + A[8] * tz];
    }
    const { nodes, arms } = cap;
    for (let k = 0; k < nodes.length; k++) {
      const ax = arms[3 * k], ay = arms[3 * k + 1], az = arms[3 * k + 2], d = 3 * nodes[k];
      x[d] = ux + ty * az - tz * ay;
      x[d + 1] = uy + tz * ax - tx * az;
      x[d + 2] = uz + tx * ay - ty * ax;
    }
  });
}

/** y_ref += T^T y over each cap's slaves (force and moment), then slave entries = 0 (in place). */
export function condenseCaps(con: Constraints, y: Float64Array): void {
  con.caps.forEach((cap, c) => {
    const r = 3 * con.nodeCount + 6 * c;
    const { nodes, arms } = cap;
    let fx = 0, fy = 0, fz = 0, mx = 0, my = 0, mz = 0;
    for (let k = 0; k < nodes.length; k++) {
      const d = 3 * nodes[k], ax = arms[3 * k], ay = arms[3 * k + 1], az = arms[3 * k + 2];
      const gx = y[d], gy = y[d + 1], gz = y[d + 2];
      fx += gx; fy += gy; fz += gz;
      mx += ay * gz - az * gy; my += az * gx - ax * gz; mz += ax * gy - ay * gx;
      y[d] = y[d + 1] = y[d + 2] = 0;
    }
    const A = cap.axes;
    if (A) {
      // model -> local axes: v_l = A^T v_g
      [fx, fy, fz] = [A[0] * fx + A[3] * fy + A[6] * fz, A[1] * fx + A[4] * fy + A[7] * fz, A[2] * fx + A[5] * fy + A[8] * fz];
      [mx, my, mz] = [A[0] * mx + A[3] * my + A[6] * mz, A[1] * mx + A[4] * my + A[7] * mz, A[2] * mx + A[5] * my + A[8] * mz];
    }
    y[r] += fx; y[r + 1] += fy; y[r + 2] += fz; y[r + 3] += mx; y[r + 4] += my; y[r + 5] += mz;
  });
}
