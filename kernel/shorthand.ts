/**
 * Work around a tslab bug: a shorthand property that names a variable from an earlier cell
 * (`const site = "neck";` then, in another cell, `({ site })`) throws "site is not defined", because
 * tslab's rewrite of earlier cells' variables to `exports.site` asks the type checker for the symbol
 * of the property name, which is the property, not the variable. Expanding `{ site }` to
 * `{ site: site }` before tslab compiles the cell avoids it; the meaning is unchanged (also in
 * destructuring assignments, `({ a = 1 } = o)` becomes `({ a: a = 1 } = o)`).
 * @module
 */
import type * as TS from "typescript";

/** The TypeScript API used (tslab's bundled compiler or the project's). */
export type ShorthandCompiler = Pick<typeof TS, "createSourceFile" | "forEachChild" | "isShorthandPropertyAssignment" | "ScriptTarget" | "ScriptKind">;

/**
 * `src` with every shorthand property assignment written out in full.
 * @example
 * ```ts
 * import ts from "typescript";
 * import { expandShorthandProperties } from "bct/kernel/shorthand";
 * expandShorthandProperties("f({ a, b: 1 })", ts); // "f({ a: a, b: 1 })"
 * ```
 */
export function expandShorthandProperties(src: string, ts: ShorthandCompiler): string {
  if (!/[{,]\s*[A-Za-z_$][\w$]*\s*[,}=]/.test(src)) return src; // fast path: no candidate at all
  const file = ts.createSourceFile("cell.ts", src, ts.ScriptTarget.Latest, true, ts.ScriptKind.TSX);
  const inserts: { at: number; text: string }[] = [];
  const visit = (node: TS.Node): void => {
    if (ts.isShorthandPropertyAssignment(node)) {
      inserts.push({ at: node.name.getEnd(), text: `: ${node.name.text}` });
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  if (inserts.length === 0) return src;
  let out = src;
  for (const ins of inserts.sort((a, b) => b.at - a.at)) out = out.slice(0, ins.at) + ins.text + out.slice(ins.at);
  return out;
}
