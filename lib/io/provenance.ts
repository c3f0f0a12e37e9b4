/**
 * Provenance: what produced a result. Every `result.json` (`bct analyze`), `dxa.json` (`bct dxa`),
 * cohort subject JSON and cohort results row records
 * - the bct version (package.json) and the git commit of the checkout it ran from, when known (read
 *   from `.git` without spawning git; null for an installed package);
 * - a SHA-256 of each input file (every file of a DICOM series folder, the label map, the phantom
 *   certificate), so that a scan replaced in place is noticed;
 * - the resolved options (defaults included);
 * - the strength definition and the classification thresholds, when the result carries them.
 *
 * A stored result is reused (cohort resume) only when {@link provenanceMismatch} finds nothing
 * different; otherwise it names what changed, for the log.
 *
 * @example
 * ```ts
 * import { buildProvenance, provenanceMismatch } from "bct/lib/io/provenance";
 * const p = buildProvenance({ inputs: [{ role: "scan", path: "ct.nii.gz" }], options: { elementSize: 3 } });
 * provenanceMismatch(stored.provenance, p); // null, or e.g. "scan ct.nii.gz changed (sha256 9f.. -> 1c..)"
 * ```
 * @module
 */
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { isAbsolute, join, relative, resolve } from "node:path";
import { BctError } from "../errors.js";
import { findPackage } from "../package-root.js";

/** One input file (or folder of files) and its digest. */
export interface InputDigest {
  /** What the file is: "scan", "label map", "phantom certificate", ... */
  role: string;
  /** Absolute path. */
  path: string;
  /** SHA-256 (hex) of the file; for a folder, of the sorted list of "relative path  sha256" lines of every file in it. */
  sha256: string;
  /** Bytes in all (a folder: all its files). */
  bytes: number;
  /** Files digested (1 for a file). */
  files: number;
}

/** An input named without its content: a file or folder to digest, or in-memory data (e.g. a certificate object). */
export type InputSpec = { role: string; path: string } | { role: string; data: unknown; path?: string };

/** What produced a result. Plain JSON. */
export interface Provenance {
  bct: { version: string; commit: string | null };
  inputs: InputDigest[];
  /** The options as requested (what a resumed run compares). */
  options: Record<string, unknown>;
  /**
   * The options the analysis resolved, defaults filled in (element size, modulus law, Poisson's
   * ratio, load case, nonlinear or not, ...), read back from the result. Not compared on resume:
   * they follow from the requested options and the code identity (version and commit).
   */
  resolved?: Record<string, unknown>;
  /** The result's strength definition (`result.strength.definition`), when it has one. */
  strengthDefinition?: unknown;
  /** The classification thresholds the result was classified with (`result.thresholds`), when recorded. */
  thresholds?: unknown;
}

/** An input file that cannot be read for its digest. */
export class ProvenanceError extends BctError {
  override name = "ProvenanceError";
}

/** SHA-256 (hex) of a string or bytes. */
export function sha256(data: string | Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

/**
 * Digest a file, or every file in a folder (recursively, sorted by relative path, dot-files skipped).
 * @throws ProvenanceError when the path does not exist or cannot be read.
 */
export function digestPath(role: string, path: string): InputDigest {
  const abs = resolve(path);
  let st;
  try {
    st = statSync(abs);
  } catch {
    throw new ProvenanceError(`${role} ${abs}: no such file or folder`);
  }
  try {
    if (!st.isDirectory()) {
      const bytes = readFileSync(abs);
      return { role, path: abs, sha256: sha256(bytes), bytes: bytes.length, files: 1 };
    }
    const lines: string[] = [];
    let bytes = 0;
    for (const f of listFiles(abs)) {
      const b = readFileSync(f);
      bytes += b.length;
      lines.push(`${relative(abs, f)}  ${sha256(b)}`);
    }
    return { role, path: abs, sha256: sha256(lines.join("\n")), bytes, files: lines.length };
  } catch (e) {
    throw new ProvenanceError(`${role} ${abs}: cannot be read for its digest: ${(e as Error).message}`);
  }
}

function listFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    if (name.startsWith(".")) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...listFiles(p));
    else out.push(p);
  }
  return out;
}

/** Digest one input spec: a path is read; in-memory data is digested as canonical JSON. */
export function digestInput(spec: InputSpec): InputDigest {
  if ("data" in spec) {
    const text = canonicalJson(spec.data);
    return { role: spec.role, path: spec.path ? resolve(spec.path) : "(in memory)", sha256: sha256(text), bytes: Buffer.byteLength(text), files: 0 };
  }
  return digestPath(spec.role, spec.path);
}

/**
 * JSON with object keys sorted at every level and undefined members left out: equal data gives the
 * same text whatever the key order.
 */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map((x) => (x === undefined ? "null" : canonicalJson(x))).join(",")}]`;
  if (v && typeof v === "object") {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o).filter((k) => o[k] !== undefined).sort().map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`).join(",")}}`;
  }
  return JSON.stringify(v) ?? "null";
}

let codeCache: Provenance["bct"] | undefined;

/** The bct version and the git commit of the checkout this module runs from (cached per process). */
export function bctIdentity(): Provenance["bct"] {
  if (!codeCache) {
    const pkg = findPackage(import.meta.url);
    codeCache = { version: pkg.version, commit: gitCommit(pkg.root) };
  }
  return codeCache;
}

/**
 * The commit checked out in the git work tree at `root`, read from `.git` (a folder, or a file
 * `gitdir: ...` for a linked work tree or submodule) without running git: HEAD, then the branch's
 * loose ref, then `packed-refs`. Null when `root` is not a git work tree or HEAD cannot be resolved.
 * @example
 * ```ts
 * gitCommit("/home/me/bct"); // "4359930c1f..." (40 hex digits)
 * ```
 */
export function gitCommit(root: string): string | null {
  try {
    let gitDir = join(root, ".git");
    if (!existsSync(gitDir)) return null;
    if (statSync(gitDir).isFile()) {
      const m = /^gitdir:\s*(.+)$/m.exec(readFileSync(gitDir, "utf8"));
      if (!m) return null;
      gitDir = isAbsolute(m[1].trim()) ? m[1].trim() : resolve(root, m[1].trim());
    }
    const commonFile = join(gitDir, "commondir");
    const commonDir = existsSync(commonFile) ? resolve(gitDir, readFileSync(commonFile, "utf8").trim()) : gitDir;
    const head = readFileSync(join(gitDir, "HEAD"), "utf8").trim();
    if (/^[0-9a-f]{40}$/.test(head)) return head;
    const ref = /^ref:\s*(.+)$/.exec(head)?.[1];
    if (!ref) return null;
    for (const dir of [gitDir, commonDir]) {
      const loose = join(dir, ref);
      if (existsSync(loose)) {
        const sha = readFileSync(loose, "utf8").trim();
        if (/^[0-9a-f]{40}$/.test(sha)) return sha;
      }
    }
    const packed = join(commonDir, "packed-refs");
    if (existsSync(packed)) {
      for (const line of readFileSync(packed, "utf8").split("\n")) {
        const [sha, name] = line.trim().split(" ");
        if (name === ref && /^[0-9a-f]{40}$/.test(sha)) return sha;
      }
    }
    return null;
  } catch {
    return null; // unreadable repository: provenance says "unknown" rather than failing the analysis
  }
}

/** What {@link buildProvenance} records. */
export interface ProvenanceSpec {
  inputs: InputSpec[];
  options: Record<string, unknown>;
  /** A result whose `strength.definition` and `thresholds` are recorded when present. */
  result?: unknown;
}

/**
 * The provenance of a result: code identity, input digests, options, and the result's strength
 * definition and thresholds when it carries them.
 * @throws ProvenanceError when an input file cannot be read.
 */
export function buildProvenance(spec: ProvenanceSpec): Provenance {
  const p: Provenance = { bct: bctIdentity(), inputs: spec.inputs.map(digestInput), options: JSON.parse(canonicalJson(spec.options)) as Record<string, unknown> };
  if (spec.result !== undefined) addResultProvenance(p, spec.result);
  return p;
}

/** Record a result's strength definition and thresholds (when it has them) in `p`; returns `p`. */
export function addResultProvenance(p: Provenance, result: unknown): Provenance {
  const r = result as { strength?: { definition?: unknown }; thresholds?: unknown } | null | undefined;
  if (r?.strength?.definition !== undefined) p.strengthDefinition = r.strength.definition;
  if (r?.thresholds !== undefined) p.thresholds = r.thresholds;
  return p;
}

/** A short name of a definition or a set of thresholds: its `id` when it has one, else a 12-digit SHA-256 of its canonical JSON. */
export function shortId(v: unknown): string | null {
  if (v === undefined || v === null) return null;
  const id = (v as { id?: unknown }).id;
  return typeof id === "string" ? id : sha256(canonicalJson(v)).slice(0, 12);
}

/**
 * Why a stored result's provenance does not match the expected one, or null when it matches:
 * code version and commit, each input's digest, the options; the definition and thresholds when the
 * expected record has them (before a run they are not known: the code identity stands for them).
 * @example
 * ```ts
 * provenanceMismatch(undefined, p); // "no provenance recorded (computed by an older bct)"
 * ```
 */
export function provenanceMismatch(stored: Provenance | undefined, expected: Provenance): string | null {
  if (!stored || typeof stored !== "object" || !stored.bct) return "no provenance recorded (computed by an older bct)";
  if (stored.bct.version !== expected.bct.version) return `bct version ${stored.bct.version} -> ${expected.bct.version}`;
  if (stored.bct.commit !== expected.bct.commit) return `bct commit ${short(stored.bct.commit)} -> ${short(expected.bct.commit)}`;
  const storedInputs = new Map((stored.inputs ?? []).map((d) => [`${d.role}|${d.path}`, d]));
  for (const d of expected.inputs) {
    const s = storedInputs.get(`${d.role}|${d.path}`);
    if (!s) return `${d.role} ${d.path} not among the recorded inputs`;
    if (s.sha256 !== d.sha256) return `${d.role} ${d.path} changed (sha256 ${s.sha256.slice(0, 10)}.. -> ${d.sha256.slice(0, 10)}..)`;
  }
  if (storedInputs.size !== expected.inputs.length) return "the set of inputs changed";
  if (canonicalJson(stored.options) !== canonicalJson(expected.options)) return `options changed: ${diffKeys(stored.options, expected.options).join(", ")}`;
  if (expected.strengthDefinition !== undefined && canonicalJson(stored.strengthDefinition) !== canonicalJson(expected.strengthDefinition)) return "strength definition changed";
  if (expected.thresholds !== undefined && canonicalJson(stored.thresholds) !== canonicalJson(expected.thresholds)) return "classification thresholds changed";
  return null;
}

function short(commit: string | null): string {
  return commit ? commit.slice(0, 10) : "unknown";
}

function diffKeys(a: Record<string, unknown> = {}, b: Record<string, unknown> = {}): string[] {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].filter((k) => canonicalJson(a[k]) !== canonicalJson(b[k])).sort().map((k) => `${k} ${canonicalJson(a[k])} -> ${canonicalJson(b[k])}`);
}
