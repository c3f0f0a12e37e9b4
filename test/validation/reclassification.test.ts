import { describe, expect, it } from "vitest";
import { categoricalNri, categorize, continuousNri, idi, normalTwoSidedP, ValidationStatsError } from "../../lib/validation/index.js";

/** Subjects reproducing given movement counts: [before, after] category pairs. */
function fromCounts(ev: { up: number; down: number; n: number }, ne: { up: number; down: number; n: number }) {
  const before: number[] = [];
  const after: number[] = [];
  const outcome: number[] = [];
  for (const [g, isEvent] of [[ev, 1], [ne, 0]] as const) {
    for (let i = 0; i < g.n; i++) {
      before.push(1);
      after.push(i < g.up ? 2 : i < g.up + g.down ? 0 : 1);
      outcome.push(isEvent);
    }
  }
  return { before, after, outcome };
}

describe("categoricalNri", () => {
  it("hand-computed: events 2 up 1 down of 4, non-events 1 down of 4", () => {
    const r = categoricalNri([0, 0, 1, 1, 1, 1, 0, 0], [1, 1, 0, 1, 0, 1, 0, 0], [1, 1, 1, 1, 0, 0, 0, 0]);
    expect(r.events).toEqual({ n: 4, up: 2, down: 1, unchanged: 1, nri: 0.25, se: Math.sqrt(0.75 / 4) });
    expect(r.nonEvents).toMatchObject({ n: 4, up: 0, down: 1, unchanged: 3, nri: 0.25, se: 0.25 });
    expect(r.nri).toBe(0.5);
    // Pencina 2008 variance: (0.5 + 0.25)/4 + (0 + 0.25)/4 = 0.25 -> SE 0.5, z = 1, p = 2(1 - Phi(1)) = 0.3173
    expect(r.se).toBeCloseTo(0.5, 15);
    expect(r.z).toBeCloseTo(1, 14);
    expect(r.p).toBeCloseTo(0.31731, 5);
    expect(r.variance).toBe("pencina2008");
    // multinomial: (0.75 - 0.25^2)/4 + (0.25 - 0.25^2)/4 = 0.21875
    const m = categoricalNri([0, 0, 1, 1, 1, 1, 0, 0], [1, 1, 0, 1, 0, 1, 0, 0], [1, 1, 1, 1, 0, 0, 0, 0], { variance: "multinomial" });
    expect(m.se).toBeCloseTo(Math.sqrt(0.21875), 15);
  });

  it("Pencina et al. 2008 (Stat Med 27:157), HDL added to the Framingham model: NRI 12.1%, z = 3.616", () => {
    // reclassification counts: events 29 up, 7 down of 183; non-events 173 up, 174 down of 3081
    const { before, after, outcome } = fromCounts({ up: 29, down: 7, n: 183 }, { up: 173, down: 174, n: 3081 });
    const r = categoricalNri(before, after, outcome);
    // by hand: 22/183 + 1/3081 = 0.12054; SE = sqrt(36/183^2 + 347/3081^2) = 0.033339
    expect(r.nri).toBeCloseTo(22 / 183 + 1 / 3081, 14);
    expect(r.nri).toBeCloseTo(0.121, 3);
    expect(r.se).toBeCloseTo(Math.sqrt(36 / 183 ** 2 + 347 / 3081 ** 2), 14);
    expect(r.z).toBeCloseTo(3.616, 3);
    expect(r.p).toBeLessThan(0.001);
  });

  it("categorize uses [cut_{c-1}, cut_c) bins", () => {
    expect(categorize([0.05, 0.06, 0.1999, 0.2, 0.9], [0.06, 0.2])).toEqual([0, 1, 1, 2, 2]);
    expect(() => categorize([0.1], [0.2, 0.1])).toThrow(/ascending/);
  });

  it("validates input", () => {
    expect(() => categoricalNri([0, 1], [0, 1, 1], [1, 0])).toThrow(/unequal lengths/);
    expect(() => categoricalNri([0.5, 1], [0, 1], [1, 0])).toThrow(/integer category/);
    expect(() => categoricalNri([0, 1], [0, 1], [1, 1])).toThrow(/only one class/);
    expect(() => categoricalNri([0, NaN], [0, 1], [1, 0])).toThrow(ValidationStatsError);
    const none = categoricalNri([0, 1, 1, 0], [0, 1, 1, 0], [1, 1, 0, 0]);
    expect(none.nri).toBe(0);
    expect(none.z).toBeNaN();
    expect(none.warnings.join()).toMatch(/no subject changed/);
  });
});

describe("continuousNri", () => {
  it("hand-computed: events up, up, down; non-events down, down, unchanged", () => {
    const r = continuousNri(
      [0.1, 0.2, 0.3, 0.4, 0.5, 0.6],
      [0.15, 0.3, 0.25, 0.35, 0.45, 0.6],
      [1, 1, 1, 0, 0, 0],
    );
    expect(r.type).toBe("continuous");
    expect(r.events.nri).toBeCloseTo(1 / 3, 15);
    expect(r.nonEvents.nri).toBeCloseTo(2 / 3, 15);
    expect(r.nri).toBeCloseTo(1, 14);
    // SE = sqrt((3/3)/3 + (2/3)/3) = sqrt(5/9); z = 3/sqrt(5) = 1.341641
    expect(r.se).toBeCloseTo(Math.sqrt(5 / 9), 14);
    expect(r.z).toBeCloseTo(1.341641, 6);
    expect(r.p).toBeCloseTo(normalTwoSidedP(1.341641), 6);
  });
});

describe("idi", () => {
  it("hand-computed: event changes 0.3, 0.1; non-event changes -0.1, 0", () => {
    const r = idi([0.2, 0.4, 0.3, 0.1], [0.5, 0.5, 0.2, 0.1], [1, 1, 0, 0]);
    // mean changes 0.2 and -0.05 -> IDI 0.25; SE^2 = 0.02/2 + 0.005/2 = 0.0125; z = 2.236068
    expect(r.eventsChange).toBeCloseTo(0.2, 15);
    expect(r.nonEventsChange).toBeCloseTo(-0.05, 15);
    expect(r.idi).toBeCloseTo(0.25, 15);
    expect(r.slopeAfter - r.slopeBefore).toBeCloseTo(r.idi, 15); // 0.35 - 0.10
    expect(r.se).toBeCloseTo(Math.sqrt(0.0125), 15);
    expect(r.z).toBeCloseTo(Math.sqrt(5), 13);
  });

  it("needs probabilities and two subjects per group", () => {
    expect(() => idi([0.2, 1.4, 0.3, 0.1], [0.5, 0.5, 0.2, 0.1], [1, 1, 0, 0])).toThrow(/probabilities/);
    expect(() => idi([0.2, 0.4, 0.3], [0.5, 0.5, 0.2], [1, 0, 0])).toThrow(/at least 2 events/);
  });
});
