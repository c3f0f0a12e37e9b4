import { afterEach, describe, expect, it } from "vitest";
import { isBareSpecifier, packagePaths, typeScriptWithPaths } from "../../kernel/resolve-hooks.js";
import { setKernelBridge, type DisplayMessage } from "../../kernel/bridge.js";
import { display, plot, progress } from "../../kernel/display.js";
import { CellReporter } from "../../kernel/execution.js";

describe("resolution hooks", () => {
  it("maps the package name to its build and bare names to its node_modules", () => {
    const p = packagePaths({ root: "/r", name: "bct", version: "0" });
    expect(p["bct/*"]).toEqual(["/r/dist/*"]);
    expect(p["bct"]).toEqual(["/r/dist/index"]);
    expect(p["*"]).toEqual(["/r/node_modules/*", "/r/node_modules/@types/*"]);
    expect(isBareSpecifier("bct/lib/volume/index")).toBe(true);
    expect(isBareSpecifier("arquero")).toBe(true);
    expect(isBareSpecifier("./x")).toBe(false);
    expect(isBareSpecifier("/abs")).toBe(false);
    expect(isBareSpecifier("fs")).toBe(false);
    expect(isBareSpecifier("node:fs")).toBe(false);
  });
  it("adds paths to the compiler options tslab passes, leaving the rest of the module as is", () => {
    let seen: Record<string, unknown> = {};
    const ts: Record<string, unknown> & { createWatchCompilerHost: (...a: unknown[]) => unknown } = {
      version: "5.0.4",
      createWatchCompilerHost: (_root: unknown, options: unknown) => {
        seen = options as Record<string, unknown>;
        return "host";
      },
    };
    Object.defineProperty(ts, "sys", { enumerable: true, get: () => "sys" });
    const view = typeScriptWithPaths(ts, { "bct/*": ["/r/dist/*"] });
    expect(view.createWatchCompilerHost(["a.ts"], { module: 99 })).toBe("host");
    expect(seen).toEqual({ module: 99, paths: { "bct/*": ["/r/dist/*"] } });
    expect(view.version).toBe("5.0.4");
    expect(view.sys).toBe("sys");
  });
});

describe("kernel display bridge", () => {
  const sent: { msg: DisplayMessage; update: boolean }[] = [];
  const install = () => setKernelBridge({ display: (msg, update) => sent.push({ msg, update }), state: {}, version: "test" });
  afterEach(() => {
    setKernelBridge(undefined);
    sent.length = 0;
  });

  it("sends display_data with a display_id and updates it in place", () => {
    install();
    const h = display("first");
    h.update({ data: { "text/plain": "second", "text/html": "<b>2</b>" }, metadata: {} });
    expect(sent).toHaveLength(2);
    expect(sent[0]).toEqual({ msg: { data: { "text/plain": "first" }, metadata: {}, transient: { display_id: h.id } }, update: false });
    expect(sent[1].update).toBe(true);
    expect(sent[1].msg.transient?.display_id).toBe(h.id);
  });

  it("embeds plotly.js in the first figure of a session only", () => {
    install();
    plot({ data: [{ type: "scatter", y: [1] }] });
    plot({ data: [{ type: "scatter", y: [2] }] });
    const sizes = sent.map((s) => String(s.msg.data["text/html"]).length);
    expect(sizes[0]).toBeGreaterThan(1_000_000);
    expect(sizes[1]).toBeLessThan(5000);
  });

  it("throttles progress updates and always sends the final state", () => {
    install();
    const p = progress({ label: "solve", total: 1000, intervalMs: 60_000 });
    for (let i = 1; i <= 1000; i++) p.update(i);
    p.finish("converged");
    expect(sent).toHaveLength(2); // the initial bar and the final state
    expect(sent[1].update).toBe(true);
    expect(sent[1].msg.data["text/plain"]).toMatch(/^solve: 1000\/1000 \(100%\) .* converged done$/);
    expect(new Set(sent.map((s) => s.msg.transient?.display_id)).size).toBe(1);
  });

  it("prints text outside the kernel, and the reporter does not echo display handles", () => {
    const lines: unknown[] = [];
    const orig = console.log;
    console.log = (...a: unknown[]) => void lines.push(a.join(" "));
    try {
      const h = display({ data: { "text/plain": "plain view", "text/html": "<i>x</i>" }, metadata: {} });
      const r = new CellReporter();
      r.log(h);
      r.log(42);
    } finally {
      console.log = orig;
    }
    expect(lines).toEqual(["plain view", "42"]);
  });
});
