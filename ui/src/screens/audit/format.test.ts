import { describe, expect, it } from "vitest";
import { groupedNumber } from "./format";

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
