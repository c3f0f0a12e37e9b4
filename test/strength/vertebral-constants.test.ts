import { describe, expect, it } from "vitest";
import { modulusLaw } from "../../lib/materials/laws.js";
import { OGO_CAP, PMMA } from "../../lib/mesh/caps.js";
import { compression } from "../../lib/loading/spine.js";
import { KOPPERDAHL1998_YIELD_STRAINS, OGO_VERTEBRAL_APPARENT_STRAIN } from "../../lib/strength/criteria.js";

describe("the vertebral model's published constants", () => {
  it("vertebral modulus law: E = -34.7 + 3.230 rhoK (MPa, mg/cm3 K2HPO4; Kopperdahl 2002 / Crawford 2003 as coded in Ogo)", () => {
    const law = modulusLaw("kopperdahl2002");
    expect(law.input).toBe("rhoK");
    // two points fix the line: intercept and slope
    expect(law.modulus(0)).toBe(0); // -34.7 clamped: no negative modulus
    expect(law.modulus(100)).toBeCloseTo(-34.7 + 323.0, 9);
    expect(law.modulus(200) - law.modulus(100)).toBeCloseTo(323.0, 9);
    expect(law.modulus(34.7 / 3.23 + 1e-9)).toBeGreaterThanOrEqual(0);
    expect(law.citation).toMatch(/Kopperdahl.*2002.*Crawford.*2003/);
  });

  it("trabecular yield strains of the vertebra: 0.84% compression, 0.78% tension (Kopperdahl & Keaveny 1998)", () => {
    expect(KOPPERDAHL1998_YIELD_STRAINS.compression).toBe(0.0084);
    expect(KOPPERDAHL1998_YIELD_STRAINS.tension).toBe(0.0078);
    expect(KOPPERDAHL1998_YIELD_STRAINS.source).toMatch(/Kopperdahl & Keaveny 1998, J Biomech 31:601/);
  });

  it("PMMA caps: E 2500 MPa, nu 0.3, 10 mm thick with 6 mm intrusion (Ogo), the default compression case", () => {
    expect(PMMA.modulusMPa).toBe(2500);
    expect(PMMA.poisson).toBe(0.3);
    expect(OGO_CAP).toMatchObject({ thicknessMm: 10, intrusionMm: 6 });
    expect(compression()).toMatchObject({ capThicknessMm: 10, capIntrusionMm: 6, displacementMm: 0.1 });
    expect(OGO_VERTEBRAL_APPARENT_STRAIN).toBe(0.0068);
  });
});
