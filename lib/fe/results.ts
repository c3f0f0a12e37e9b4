/**
 * Element-level results of a solved model: strain, stress, von Mises stress, principal strains and
 * strain energy density at each element's centroid (or averaged over its integration points), plus
 * reaction resultants and structural stiffness. Plain typed arrays, one entry (or 6 / 3) per element.
 * @module
 */
import { CENTROID, INTEGRATION_POINTS, elementStrain, stressFromStrain } from "./element.js";
import { isotropicElasticity } from "./material.js";
import { forEachElement, elementCount, nodePosition, type FeModel } from "./model.js";
import { principalStrains, resultant, strainEnergyDensity, vonMises } from "./post.js";

/** Per-element results (Voigt [xx, yy, zz, xy, yz, zx], engineering shear strains). */
export interface ElementResults {
  /** 6 per element. */
  strain: Float64Array;
  /** 6 per element (MPa). */
  stress: Float64Array;
  /** MPa. */
  vonMises: Float64Array;
  /** 3 per element, descending. */
  principalStrains: Float64Array;
  /** Strain energy density (MPa = mJ/mm^3). */
  sed: Float64Array;
  /** Where they were evaluated. */
  at: "centroid" | "gauss-mean";
}

/**
 * Strains, stresses and derived measures per element from a displacement field.
 * @example
 * const r = elementResults(model, solution.displacement);
 * Math.max(...r.vonMises);
 */
export function elementResults(model: FeModel, displacement: ArrayLike<number>, at: "centroid" | "gauss-mean" = "centroid"): ElementResults {
  const ne = elementCount(model);
  const out: ElementResults = {
    strain: new Float64Array(6 * ne), stress: new Float64Array(6 * ne), vonMises: new Float64Array(ne),
    principalStrains: new Float64Array(3 * ne), sed: new Float64Array(ne), at,
  };
  let cachedKey = "";
  let D: Float64Array = new Float64Array(36);
  forEachElement(model, (e) => {
    const key = `${e.modulus}|${e.poisson}`;
    if (key !== cachedKey) { D = isotropicElasticity(e.modulus, e.poisson); cachedKey = key; }
    const ue = new Float64Array(3 * e.nodes.length);
    for (let a = 0; a < e.nodes.length; a++) for (let c = 0; c < 3; c++) ue[3 * a + c] = displacement[3 * e.nodes[a] + c];
    const pts = at === "centroid" ? [CENTROID[e.type]] : INTEGRATION_POINTS[e.type];
    const eps = new Float64Array(6), sig = new Float64Array(6);
    let w = 0;
    for (const p of pts) {
      const s = elementStrain(e.type, e.coords, ue, p), t = stressFromStrain(D, s);
      for (let i = 0; i < 6; i++) { eps[i] += s[i] / pts.length; sig[i] += t[i] / pts.length; }
      w += strainEnergyDensity(t, s) / pts.length;
    }
    out.strain.set(eps, 6 * e.index);
    out.stress.set(sig, 6 * e.index);
    out.vonMises[e.index] = vonMises(sig);
    out.principalStrains.set(principalStrains(eps), 3 * e.index);
    out.sed[e.index] = w;
  });
  return out;
}

/**
 * Total reaction force and moment (about `about`) over a node set, from a solution's reactions.
 * @example
 * const { force } = reactionResultant(model, solution.reactions, topNodes);
 */
export function reactionResultant(model: FeModel, reactions: ArrayLike<number>, nodes: ArrayLike<number>, about: readonly number[] = [0, 0, 0]) {
  return resultant(reactions, nodes, (q) => nodePosition(model, q), about);
}

/**
 * Structural stiffness (N/mm) of a displacement-controlled test: the reaction along `component`
 * over the loaded nodes divided by the prescribed displacement.
 * @example
 * structuralStiffness(model, solution.reactions, topNodes, 2, -0.5); // N/mm
 */
export function structuralStiffness(model: FeModel, reactions: ArrayLike<number>, nodes: ArrayLike<number>, component: 0 | 1 | 2, displacement: number): number {
  return reactionResultant(model, reactions, nodes).force[component] / displacement;
}
