import { describe, expect, it } from "vitest";
import { cellErrorFromDiagnostics, cellErrorFromThrown, importHint } from "../../kernel/cell-error.js";
import { ExecutionQueue } from "../../kernel/queue.js";

describe("cell errors", () => {
  it("keeps the user's frames and drops loader, vm and tslab frames", () => {
    const e = new Error("Cannot find module './nope'\nRequire stack:\n- /nb/src.js") as Error & { code: string };
    e.code = "MODULE_NOT_FOUND";
    e.stack = [
      "Error: Cannot find module './nope'",
      "    at Module._resolveFilename (node:internal/modules/cjs/loader:1207:15)",
      "    at Object.apply (/x/node_modules/tslab/dist/executor.js:61:24)",
      "    at evalmachine.<anonymous>:4:26",
      "    at evalmachine.<anonymous>:8:3",
      "    at sigintHandlersWrap (node:vm:280:12)",
      "    at fit (/x/dist/lib/calibration/fit.js:10:5)",
    ].join("\n");
    const c = cellErrorFromThrown(e);
    expect(c.ename).toBe("Error");
    expect(c.traceback).toEqual([
      "Error: Cannot find module './nope'",
      "    at <cell>",
      "    at fit (/x/dist/lib/calibration/fit.js:10:5)",
      "",
      "hint: a relative import is resolved from the notebook's folder",
    ]);
    expect(c.evalue).not.toContain("Require stack");
  });
  it("hints at the build and at .js extensions for library imports", () => {
    expect(importHint("MODULE_NOT_FOUND", "Cannot find module 'bct/lib/volume/index'", "bct", "/r")).toMatch(/npm run build` in \/r/);
    expect(importHint("MODULE_NOT_FOUND", "Cannot find module 'bct/lib/volume/index.js'")).toMatch(/without the .js extension/);
    expect(importHint("ERR_REQUIRE_ASYNC_MODULE", "x")).toMatch(/top-level await/);
    expect(importHint("", "other")).toBe("");
  });
  it("reports non-Error throws and TypeScript diagnostics", () => {
    expect(cellErrorFromThrown("plain")).toEqual({ ename: "Thrown", evalue: "plain", traceback: ["Uncaught plain"] });
    const d = cellErrorFromDiagnostics([{ line: 2, column: 5, message: "Cannot find module 'zzz' or its corresponding type declarations." }]);
    expect(d.ename).toBe("TypeScriptError");
    expect(d.traceback[1]).toBe("  line 2, column 5: Cannot find module 'zzz' or its corresponding type declarations.");
    expect(d.traceback[2]).toMatch(/npm install zzz/);
  });
});

describe("ExecutionQueue", () => {
  it("aborts only requests queued before a failure, and runs later ones", async () => {
    const q = new ExecutionQueue();
    const ran: number[] = [];
    const task = (n: number, ok: boolean) => async () => {
      ran.push(n);
      return { ok, value: n };
    };
    const a = q.enqueue(true, task(1, false));
    const b = q.enqueue(true, task(2, true)); // queued behind the failure: aborted
    expect(await a).toEqual({ status: "done", value: 1 });
    expect(await b).toEqual({ status: "aborted" });
    // sent right after the failed reply (what nbconvert does): runs
    expect(await q.enqueue(true, task(3, true))).toEqual({ status: "done", value: 3 });
    expect(ran).toEqual([1, 3]);
  });
  it("keeps going after a failure when stop_on_error is false, and after a throw", async () => {
    const q = new ExecutionQueue();
    const a = q.enqueue(false, async () => ({ ok: false, value: "a" }));
    const b = q.enqueue(true, async () => ({ ok: true, value: "b" }));
    expect(await a).toEqual({ status: "done", value: "a" });
    expect(await b).toEqual({ status: "done", value: "b" });
    await expect(q.enqueue(false, async () => { throw new Error("x"); })).rejects.toThrow("x");
    expect(await q.enqueue(true, async () => ({ ok: true, value: 1 }))).toEqual({ status: "done", value: 1 });
  });
});
