import { describe, expect, it } from "vitest";
import { parseGoDuration } from "../../src/services/auth/duration.js";
import { AuthError } from "../../src/services/auth/errors.js";
import { validateHookOutput } from "../../src/services/auth/hooks/access-token.js";
import { goEncodeValues, goQueryEscape } from "../../src/services/auth/query-string.js";
import { tokenHash } from "../../src/services/auth/secrets.js";

describe("auth units", () => {
  it.each([
    ["24h", 86400],
    ["1h30m", 5400],
    ["300ms", 0.3],
    ["1.5h", 5400],
    ["0", 0],
    ["-2m", -120],
  ])("parses the Go duration %s", (text, seconds) => {
    expect(parseGoDuration(text)).toBeCloseTo(seconds);
  });

  it.each([
    ["1 day", 'time: unknown unit " day" in duration "1 day"'],
    ["1d", 'time: unknown unit "d" in duration "1d"'],
    ["10", 'time: missing unit in duration "10"'],
    ["", 'time: invalid duration ""'],
    ["h", 'time: invalid duration "h"'],
  ])("refuses the Go duration %j", (text, message) => {
    expect(() => parseGoDuration(text)).toThrow(message);
  });

  it("encodes queries as Go's url.Values does", () => {
    expect(goQueryEscape("a b!'()*~._-")).toBe("a+b%21%27%28%29%2A~._-");
    const values = new Map([
      ["type", ["recovery"]],
      ["access_token", ["x.y"]],
      ["error_description", ["Email link is invalid"]],
    ]);
    expect(goEncodeValues(values)).toBe(
      "access_token=x.y&error_description=Email+link+is+invalid&type=recovery",
    );
  });

  it("hashes emailed codes as GoTrue does (hex SHA-224 of address + code)", () => {
    expect(tokenHash("a@b.co", "123456")).toMatch(/^[0-9a-f]{56}$/);
    expect(tokenHash("a@b.co", "123456")).not.toBe(tokenHash("a@b.co", "123457"));
  });

  const claims = {
    aud: "authenticated",
    exp: 2,
    iat: 1,
    sub: "s",
    email: "",
    phone: "",
    role: "authenticated",
    aal: "aal1",
    session_id: "x",
    is_anonymous: false,
  };

  it.each([
    [null, 500, "output claims field is missing"],
    [{ claims: "nope" }, 500, "output claims field is missing"],
    [
      { claims: { ...claims, exp: "2" } },
      500,
      "output claims do not conform to the expected schema: \n- exp: Invalid type\n",
    ],
    [
      { claims: { ...claims, amr: [1] } },
      500,
      "output claims do not conform to the expected schema: \n- amr: Invalid type\n",
    ],
  ])("validates hook output %j", (output, status, message) => {
    try {
      validateHookOutput(output);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(AuthError);
      expect((error as AuthError).status).toBe(status);
      expect((error as AuthError).message).toBe(message);
    }
  });

  it("accepts hook output with extra claims and string amr entries", () => {
    const output = { claims: { ...claims, amr: ["password"], tenant_id: "t1" } };
    expect(validateHookOutput(output)).toEqual(output.claims);
  });
});
