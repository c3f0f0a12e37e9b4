/**
 * Where the bct package lives on disk, found from this file's own location, so the kernelspec and
 * the launcher always point at the checkout they were installed from (no global install), and the
 * CLI finds the embedded datasets. Works from the sources and from the build (dist/).
 * @module
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { BctError } from "./errors.js";

/** The package.json fields the kernel needs. */
export interface PackageInfo {
  /** Absolute path of the folder holding package.json. */
  root: string;
  name: string;
  version: string;
}

/**
 * The nearest enclosing package of `from` (a file or folder path, or a `file:` URL).
 * Works from the sources (`kernel/*.ts`) and from the build (`dist/kernel/*.js`).
 * @throws BctError when no package.json is found above `from`.
 * @example
 * ```ts
 * import { findPackage } from "bct/lib/package-root";
 * findPackage(import.meta.url).root; // "/home/me/bct"
 * ```
 */
export function findPackage(from: string): PackageInfo {
  let dir = from.startsWith("file:") ? dirname(fileURLToPath(from)) : from;
  for (;;) {
    const file = join(dir, "package.json");
    if (existsSync(file)) {
      const pkg = JSON.parse(readFileSync(file, "utf8")) as { name?: string; version?: string };
      if (pkg.name) return { root: dir, name: pkg.name, version: pkg.version ?? "0.0.0" };
    }
    const up = dirname(dir);
    if (up === dir) throw new BctError(`no package.json found above ${from}`);
    dir = up;
  }
}

/** The bct package this module belongs to. */
export function bctPackage(): PackageInfo {
  return findPackage(import.meta.url);
}

/** Absolute path of a file or folder under the package's `datasets/` (the embedded data). */
export function datasetPath(...parts: string[]): string {
  return join(bctPackage().root, "datasets", ...parts);
}
