import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { kernelDir, kernelSpec, userJupyterDataDir } from "../../kernel/kernelspec.js";
import { installKernel, jupyterSeesKernel } from "../../kernel/install.js";
import { bctPackage } from "../../lib/package-root.js";
import { KernelError } from "../../kernel/errors.js";
import { runCli } from "../../lib/cli/main.js";

const tmp = mkdtempSync(join(tmpdir(), "bct-kernelspec-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const root = bctPackage().root;
const built = existsSync(join(root, "dist", "kernel", "launch.js"));

describe("kernelSpec", () => {
  it("runs the checkout's own launcher with an absolute node", () => {
    const s = kernelSpec({ root: "/opt/bct", version: "1.2.3", node: "/usr/bin/node" });
    expect(s.argv).toEqual(["/usr/bin/node", "/opt/bct/dist/kernel/launch.js", "--config-path", "{connection_file}"]);
    expect(s.display_name).toBe("bct (TypeScript)");
    expect(s.language).toBe("typescript");
    expect(s.metadata.bct).toEqual({ root: "/opt/bct", version: "1.2.3", launcher: "/opt/bct/dist/kernel/launch.js" });
  });
  it("finds the user's Jupyter data folder like jupyter_core", () => {
    expect(userJupyterDataDir({ env: { JUPYTER_DATA_DIR: "/j" }, platform: "linux", home: "/h" })).toBe("/j");
    expect(userJupyterDataDir({ env: {}, platform: "linux", home: "/h" })).toBe("/h/.local/share/jupyter");
    expect(userJupyterDataDir({ env: { XDG_DATA_HOME: "/x" }, platform: "linux", home: "/h" })).toBe("/x/jupyter");
    expect(userJupyterDataDir({ env: {}, platform: "darwin", home: "/h" })).toBe("/h/Library/Jupyter");
    expect(kernelDir("/d")).toBe("/d/kernels/bct");
  });
});

describe.skipIf(!built)("installKernel", () => {
  it("writes kernel.json and is idempotent", () => {
    const a = installKernel({ dataDir: tmp });
    expect(a.change).toBe("created");
    expect(a.dir).toBe(join(tmp, "kernels", "bct"));
    const spec = JSON.parse(readFileSync(join(a.dir, "kernel.json"), "utf8"));
    expect(spec.argv[0]).toBe(process.execPath);
    expect(spec.argv[1]).toBe(join(root, "dist", "kernel", "launch.js"));
    expect(spec.argv.slice(2)).toEqual(["--config-path", "{connection_file}"]);
    expect(installKernel({ dataDir: tmp }).change).toBe("unchanged");
    expect(installKernel({ dataDir: tmp, displayName: "bct dev" }).change).toBe("updated");
    expect(installKernel({ prefix: join(tmp, "venv") }).dir).toBe(join(tmp, "venv", "share", "jupyter", "kernels", "bct"));
  });
  it("rejects a bad kernel name and a checkout that is not built", () => {
    expect(() => installKernel({ dataDir: tmp, name: "a b" })).toThrow(KernelError);
    expect(() => installKernel({ dataDir: tmp, root: tmp })).toThrow(/npm run build/);
  });
  it("`bct kernel install --data-dir` prints where it went and how to start Jupyter", async () => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runCli(["kernel", "install", "--data-dir", join(tmp, "cli"), "--no-check"], { out: (t) => out.push(t), err: (t) => err.push(t) });
    expect(err.join("")).toBe("");
    expect(code).toBe(0);
    const text = out.join("\n");
    expect(text).toContain(join(tmp, "cli", "kernels", "bct", "kernel.json"));
    expect(text).toMatch(/created/);
    expect(text).toContain("--ExecutePreprocessor.kernel_name=bct");
    expect(await runCli(["kernel", "install", "--prefix", "/a", "--data-dir", "/b"], { out: () => {}, err: () => {} })).toBe(2);
  });
  it.skipIf(!existsSync("/usr/bin/python3"))("Debian's Jupyter (/usr/bin/python3) finds the installed spec", () => {
    const dataDir = join(tmp, "debian");
    installKernel({ dataDir });
    const c = jupyterSeesKernel("/usr/bin/python3", "bct", { ...process.env, JUPYTER_DATA_DIR: dataDir, JUPYTER_PATH: "" });
    if (!c.hasJupyter) {
      console.warn("skipped: /usr/bin/python3 has no jupyter_client (apt-get install python3-jupyter-client)");
      return;
    }
    expect(c.resolvedDir).toBe(join(dataDir, "kernels", "bct"));
  });
});
