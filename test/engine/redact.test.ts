import { describe, expect, it } from "vitest";
import { MASK, Redactor } from "../../src/engine/redact.js";

describe("Redactor.string", () => {
  it("masks every occurrence of every registered secret", () => {
    const r = new Redactor();
    r.addSecret("hunter22");
    r.addSecret("s3cr3t-token");
    expect(r.string("pw=hunter22 again hunter22 tok=s3cr3t-token")).toBe(
      `pw=${MASK} again ${MASK} tok=${MASK}`,
    );
    expect(MASK).toBe("***");
  });

  it("leaves text without secrets unchanged", () => {
    const r = new Redactor();
    r.addSecret("hunter22");
    expect(r.string("nothing to see")).toBe("nothing to see");
    expect(new Redactor().string("hunter22")).toBe("hunter22");
  });

  it("ignores values shorter than 4 characters and undefined", () => {
    const r = new Redactor();
    r.addSecret("abc");
    r.addSecret("");
    r.addSecret(undefined);
    expect(r.string("abc abcd")).toBe("abc abcd");
    r.addSecret("abcd");
    expect(r.string("abc abcd")).toBe(`abc ${MASK}`);
  });

  it("a secret that contains a shorter secret is still masked whole", () => {
    const r = new Redactor();
    r.addSecret("1234");
    r.addSecret("tok-1234-abcdefgh");
    // Known bug: src/engine/redact.ts string() masks secrets in insertion order, so the short
    // secret is replaced inside the long one first ("tok-***-abcdefgh"), the long one no longer
    // matches, and most of it leaks. Masking longest secrets first fixes it.
    expect(r.string("auth tok-1234-abcdefgh")).toBe(`auth ${MASK}`);
  });
});

describe("Redactor.addSensitiveEnv", () => {
  it("registers values of credential-like variables only", () => {
    const r = new Redactor();
    r.addSensitiveEnv({
      AWS_SECRET_ACCESS_KEY: "wJalrXUtnFEMI",
      AWS_SESSION_TOKEN: "FwoGZXIvYXdzEJr",
      DB_PASSWORD: "pa55word",
      GITHUB_TOKEN: "ghp_abcdef",
      STRIPE_API_KEY: "sk_live_123",
      SSH_PRIVATE_KEY: "-----BEGIN",
      HOME: "/home/operator",
      AWS_REGION: "us-west-2",
      EMPTY_SECRET: undefined,
    });
    const text =
      "wJalrXUtnFEMI FwoGZXIvYXdzEJr pa55word ghp_abcdef sk_live_123 -----BEGIN /home/operator us-west-2";
    expect(r.string(text)).toBe(
      ["***", "***", "***", "***", "***", "***", "/home/operator", "us-west-2"].join(" "),
    );
  });
});

describe("Redactor.value", () => {
  it("deep-copies, masking registered secrets anywhere and blanking sensitive-named fields", () => {
    const r = new Redactor();
    r.addSecret("hunter22");
    const input = {
      url: "https://user:hunter22@db/x",
      headers: { Authorization: "Bearer hunter22", "X-Api-Key": "not-registered-but-named" },
      password: "anything at all",
      args: ["--pw", "hunter22", 3, true, null],
      nested: { deeper: [{ sessionId: "abc123456" }] },
      count: 5,
    };
    const out = r.value(input);
    expect(out).toEqual({
      url: "https://user:***@db/x",
      headers: { Authorization: "Bearer ***", "X-Api-Key": "***" },
      password: "***",
      args: ["--pw", "***", 3, true, null],
      nested: { deeper: [{ sessionId: "***" }] },
      count: 5,
    });
    expect(out).not.toBe(input);
    expect(input.password).toBe("anything at all");
    expect(input.args[1]).toBe("hunter22");
  });

  it("keeps templates in sensitive-named fields (they name a secret, they are not one)", () => {
    const r = new Redactor();
    expect(r.value({ token: "${{ inputs.token }}", apiKey: "${{ env.API_KEY }}" })).toEqual({
      token: "${{ inputs.token }}",
      apiKey: "${{ env.API_KEY }}",
    });
  });

  it("still masks a registered secret next to a template in a sensitive field", () => {
    const r = new Redactor();
    r.addSecret("hunter22");
    expect(r.value({ password: "hunter22${{ inputs.x }}" })).toEqual({ password: "***${{ inputs.x }}" });
  });

  it("blanks strings inside an array held by a sensitive-named field", () => {
    const r = new Redactor();
    // Known bug: src/engine/redact.ts walk() passes no key to array elements, so
    // `{ tokens: ["..."] }` keeps its (unregistered) values although the field is named as
    // sensitive. Passing the array's own key down to its elements fixes it.
    expect(r.value({ tokens: ["ghp_first", "ghp_second"] })).toEqual({ tokens: ["***", "***"] });
  });

  it("leaves primitives alone", () => {
    const r = new Redactor();
    r.addSecret("1234");
    expect(r.value(1234)).toBe(1234);
    expect(r.value(null)).toBeNull();
    expect(r.value("x1234x")).toBe("x***x");
  });
});
