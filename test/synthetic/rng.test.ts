import { describe, expect, it } from "vitest";
import { checkSeed, gaussianAt, hash32, mix32, uniformAt } from "../../lib/synthetic/rng.js";
import { SyntheticError } from "../../lib/synthetic/errors.js";

describe("counter-based RNG", () => {
  it("is a pure function of (seed, stream, index)", () => {
    expect(hash32(1, 0, 12345)).toBe(hash32(1, 0, 12345));
    expect(hash32(1, 0, 12345)).not.toBe(hash32(2, 0, 12345));
    expect(hash32(1, 0, 12345)).not.toBe(hash32(1, 1, 12345));
    expect(hash32(1, 0, 12345)).not.toBe(hash32(1, 0, 12346));
    expect(mix32(0)).toBe(0); // lowbias32 maps 0 to 0; the key folding keeps index 0 random
    expect(hash32(1, 0, 0)).not.toBe(0);
  });

  it("mix32 is a bijection on a sample of inputs", () => {
    const seen = new Set<number>();
    for (let x = 0; x < 100000; x++) seen.add(mix32(x * 2654435761));
    expect(seen.size).toBe(100000);
  });

  it("gives uniforms in (0, 1) with mean 1/2 and variance 1/12", () => {
    const n = 200000;
    let s = 0, ss = 0, lo = 1, hi = 0;
    for (let i = 0; i < n; i++) {
      const u = uniformAt(7, 0, i);
      s += u;
      ss += u * u;
      lo = Math.min(lo, u);
      hi = Math.max(hi, u);
    }
    const mean = s / n, v = ss / n - mean * mean;
    expect(lo).toBeGreaterThan(0);
    expect(hi).toBeLessThan(1);
    expect(Math.abs(mean - 0.5)).toBeLessThan(4 * Math.sqrt(1 / 12 / n));
    expect(Math.abs(v - 1 / 12) / (1 / 12)).toBeLessThan(0.01);
  });

  it("gives standard normals: mean 0, SD 1, no lag-1 correlation, Gaussian tails", () => {
    const n = 200000;
    const z = Float64Array.from({ length: n }, (_, i) => gaussianAt(2024, i));
    let s = 0, ss = 0, lag = 0, beyond2 = 0;
    for (let i = 0; i < n; i++) {
      s += z[i];
      ss += z[i] * z[i];
      if (i) lag += z[i] * z[i - 1];
      if (Math.abs(z[i]) > 2) beyond2++;
    }
    const mean = s / n, sd = Math.sqrt(ss / n - mean * mean);
    expect(Math.abs(mean)).toBeLessThan(4 / Math.sqrt(n));
    expect(Math.abs(sd - 1)).toBeLessThan(0.01);
    expect(Math.abs(lag / (n - 1))).toBeLessThan(4 / Math.sqrt(n));
    // P(|Z| > 2) = 0.0455003
    expect(Math.abs(beyond2 / n - 0.0455003)).toBeLessThan(4 * Math.sqrt((0.0455 * 0.9545) / n));
  });

  it("rejects seeds outside [0, 2^32)", () => {
    expect(checkSeed(0)).toBe(0);
    expect(checkSeed(4294967295)).toBe(4294967295);
    expect(() => checkSeed(-1)).toThrow(SyntheticError);
    expect(() => checkSeed(1.5)).toThrow(/integer/);
    expect(() => checkSeed(2 ** 32)).toThrow(SyntheticError);
  });
});
