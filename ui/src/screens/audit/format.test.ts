import { describe, expect, it } from "vitest";
import { groupedNumber, offset } from "./format";

describe("groupedNumber", () => {
  it("keeps a locale's own digit groups", () => {
    expect(groupedNumber("de-DE").format(1000022)).toBe("1.000.022");
  });
  it("groups where the locale groups nothing (C/POSIX)", () => {
    // The premise: this locale alone formats without groups.
    expect(new Intl.NumberFormat("en-US-u-va-posix").format(1000022)).toBe("1000022");
    expect(groupedNumber("en-US-u-va-posix").format(1000022)).toBe("1,000,022");
  });
});

describe("offset", () => {
  it("stays short however long the task ran", () => {
    expect([0, 42, 60, 185, 3599, 3600, 3725, 86400 + 60].map(offset)).toEqual([
      "+0s", "+42s", "+1m00s", "+3m05s", "+59m59s", "+1h00m", "+1h02m", "+24h01m",
    ]);
  });
});
