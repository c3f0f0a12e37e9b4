/**
 * Make `import { ... } from "bct/lib/volume/index"` work in a notebook cell, in any folder, with no
 * global install and no path set-up:
 *
 * - Type checking: tslab compiles cells with its own TypeScript 5.0 and fixed options
 *   (`moduleResolution: node10`, which ignores package.json "exports"), so it cannot see `bct/*`.
 *   {@link typeScriptWithPaths} wraps the compiler module tslab loads so its compiler options gain
 *   `paths: { "bct": [<root>/dist/index], "bct/*": [<root>/dist/*] }`, pointing at the built
 *   declarations.
 * - Running: cells are CommonJS `require`d from the notebook's folder. Inside the package, Node's
 *   self-reference resolves `bct/*` through "exports"; elsewhere {@link hookPackageResolution} retries
 *   a failed `bct/...` resolution from the package root, with the same "exports" rules.
 * @module
 */
import Module from "node:module";
import { join } from "node:path";
import type { PackageInfo } from "../lib/package-root.js";

/**
 * The compiler-option `paths` that map the package name to its build output, and any other bare
 * import to the package's own node_modules (so `import * as aq from "arquero"` type-checks in a
 * notebook outside the package too; TypeScript falls back to the usual lookup when they miss).
 */
export function packagePaths(pkg: PackageInfo): Record<string, string[]> {
  return {
    [pkg.name]: [join(pkg.root, "dist", "index")],
    [`${pkg.name}/*`]: [join(pkg.root, "dist", "*")],
    "*": [join(pkg.root, "node_modules", "*"), join(pkg.root, "node_modules", "@types", "*")],
  };
}

type CompilerModule = Record<string, unknown> & { createWatchCompilerHost: (...args: unknown[]) => unknown };

/**
 * A view of a TypeScript compiler module whose `createWatchCompilerHost` adds `paths` to the
 * compiler options it is given. The compiler module exports non-configurable getters, so it is
 * wrapped rather than patched.
 */
export function typeScriptWithPaths(ts: CompilerModule, paths: Record<string, string[]>): CompilerModule {
  const view: Record<string, unknown> = {};
  for (const key of Object.keys(ts)) {
    if (key === "createWatchCompilerHost") continue;
    Object.defineProperty(view, key, { enumerable: true, get: () => ts[key] });
  }
  Object.defineProperty(view, "createWatchCompilerHost", {
    enumerable: true,
    value: (rootFiles: unknown, options: Record<string, unknown>, ...rest: unknown[]) =>
      ts.createWatchCompilerHost(rootFiles, { ...options, paths: { ...(options.paths as object), ...paths } }, ...rest),
  });
  // __esModule keeps tslab's `__importStar` from copying the view again.
  Object.defineProperty(view, "__esModule", { value: true });
  return view as CompilerModule;
}

interface ModuleInternals {
  _load(request: string, parent: { filename?: string } | null, isMain: boolean): unknown;
  _resolveFilename(request: string, parent: unknown, isMain: boolean, options?: unknown): string;
  _nodeModulePaths(dir: string): string[];
}
const M = Module as unknown as ModuleInternals;

/**
 * While active, `require("@tslab/typescript-for-tslab")` from tslab's converter returns
 * {@link typeScriptWithPaths}. Call the returned function once the converter is loaded.
 */
export function hookTslabCompiler(converterFile: string, paths: Record<string, string[]>): () => void {
  const original = M._load;
  let wrapped: CompilerModule | undefined;
  M._load = function (this: unknown, request, parent, isMain) {
    const loaded = original.call(this, request, parent, isMain);
    if (request === "@tslab/typescript-for-tslab" && parent?.filename === converterFile) {
      wrapped ??= typeScriptWithPaths(loaded as CompilerModule, paths);
      return wrapped;
    }
    return loaded;
  };
  return () => {
    M._load = original;
  };
}

/** True for a bare module name ("bct/lib/x", "arquero"), not a path or a builtin. */
export function isBareSpecifier(request: string): boolean {
  return !/^(\.{1,2}([\\/]|$)|[\\/]|[A-Za-z]:[\\/]|node:)/.test(request) && !Module.isBuiltin(request);
}

/**
 * Resolve bare imports (`<name>/...` and the package's dependencies) from the package root when
 * normal resolution fails (a notebook outside the package). Returns a function that removes the hook.
 */
export function hookPackageResolution(pkg: PackageInfo): () => void {
  const original = M._resolveFilename;
  const anchor = new Module(join(pkg.root, "__bct_kernel__.js"));
  anchor.filename = join(pkg.root, "__bct_kernel__.js");
  anchor.paths = M._nodeModulePaths(pkg.root);
  M._resolveFilename = function (this: unknown, request, parent, isMain, options) {
    try {
      return original.call(this, request, parent, isMain, options);
    } catch (e) {
      if (isBareSpecifier(request)) {
        return original.call(this, request, anchor, isMain, options);
      }
      throw e;
    }
  };
  return () => {
    M._resolveFilename = original;
  };
}
