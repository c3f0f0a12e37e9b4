import ts from "typescript";
import { describe, expect, it } from "vitest";
import { expandShorthandProperties } from "../../kernel/shorthand.js";

describe("expandShorthandProperties", () => {
  it("writes shorthand properties out, in literals and destructuring assignments", () => {
    expect(expandShorthandProperties("f({ a, b: 1, c })", ts)).toBe("f({ a: a, b: 1, c: c })");
    expect(expandShorthandProperties("({ q = 5 } = o)", ts)).toBe("({ q: q = 5 } = o)");
    expect(expandShorthandProperties("const r = { nested: { x } };", ts)).toBe("const r = { nested: { x: x } };");
  });
  it("leaves declarations, strings and other code alone", () => {
    for (const src of ["const { a, b } = o;", "function f({ a }: { a: number }) { return a; }", 'const s = "{ a }";', "if (x) { a }", "x => { y }"]) {
      expect(expandShorthandProperties(src, ts)).toBe(src);
    }
  });
});
