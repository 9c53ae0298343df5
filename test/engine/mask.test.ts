import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MASK, maskSecrets, StreamMasker } from "../../src/engine/mask.js";

/** Bytes as a string of the same length (latin1), so the string rule can be the reference. */
const latin1 = (b: Uint8Array) => Buffer.from(b).toString("latin1");
const bytes = (s: string) => Buffer.from(s, "latin1");

function streamed(text: Uint8Array, secrets: Uint8Array[], cuts: number[]): Buffer {
  const m = new StreamMasker(secrets, MASK);
  const parts: Uint8Array[] = [];
  let at = 0;
  for (const cut of [...cuts].sort((a, b) => a - b)) {
    parts.push(m.push(text.subarray(at, cut)));
    at = cut;
  }
  parts.push(m.push(text.subarray(at)), m.end());
  return Buffer.concat(parts);
}

// A small alphabet, so that secrets overlap, repeat and nearly match all the time; bytes that
// are not UTF-8 on their own (0x80, 0xff) included. No "*": a secret made of the mask's own
// characters could be spelt by the masks themselves.
const byte = fc.constantFrom(0x61, 0x62, 0x63, 0x0a, 0x00, 0x80, 0xff);
const secret = fc.array(byte, { minLength: 1, maxLength: 8 }).map((a) => Uint8Array.from(a));
const scenario = fc
  .array(secret, { minLength: 1, maxLength: 4 })
  .chain((secrets) =>
    fc
      .array(fc.oneof(fc.nat(secrets.length - 1), fc.array(byte, { maxLength: 6 })), { maxLength: 12 })
      .map((pieces) => ({
        secrets,
        text: Buffer.concat(pieces.map((p) => (typeof p === "number" ? secrets[p]! : Uint8Array.from(p)))),
      })),
  )
  .chain((s) => fc.array(fc.nat(s.text.length), { maxLength: 8 }).map((cuts) => ({ ...s, cuts })));

describe("StreamMasker", () => {
  it("whatever the chunking, gives what masking the whole text at once gives, with no secret left", () => {
    fc.assert(
      fc.property(scenario, ({ secrets, text, cuts }) => {
        const out = streamed(text, secrets, cuts);
        expect(latin1(out)).toBe(maskSecrets(latin1(text), secrets.map(latin1)));
        for (const s of secrets) expect(out.includes(Buffer.from(s))).toBe(false);
      }),
      { numRuns: 2000 },
    );
  });

  it("byte by byte, holds back fewer bytes than the longest secret, and only what could start one", () => {
    fc.assert(
      fc.property(scenario, ({ secrets, text }) => {
        const m = new StreamMasker(secrets, MASK);
        const longest = Math.max(...secrets.map((s) => s.length));
        const whole = maskSecrets(latin1(text), secrets.map(latin1));
        let written = "";
        for (let i = 0; i < text.length; i++) {
          written += latin1(m.push(text.subarray(i, i + 1)));
          expect(whole.startsWith(written)).toBe(true);
          expect(m.held()).toBeLessThan(longest);
          // Held bytes are the start of a secret that the next bytes may complete.
          const held = latin1(text.subarray(i + 1 - m.held(), i + 1));
          if (held)
            expect(secrets.some((s) => latin1(s).startsWith(held) && s.length > held.length)).toBe(true);
        }
        expect(written + latin1(m.end())).toBe(whole);
      }),
      { numRuns: 1000 },
    );
  });

  it("catches a secret cut across two chunks, and writes a line at once when no secret can start it", () => {
    const m = new StreamMasker(["s3cr3t-value"], MASK);
    expect(latin1(m.push(bytes("token: s3c")))).toBe("token: ");
    expect(latin1(m.push(bytes("r3t-value done\n")))).toBe(`${MASK} done\n`);
    expect(latin1(m.push(bytes("next line\n")))).toBe("next line\n");
    expect(latin1(m.push(bytes("ends with s3cr3t-val")))).toBe("ends with ");
    expect(latin1(m.end())).toBe("s3cr3t-val");
  });

  it("keeps bytes that are not UTF-8 as they are", () => {
    const m = new StreamMasker(["pässwörd"], MASK);
    const text = Buffer.concat([
      Buffer.from([0xff, 0xfe, 0x80]),
      Buffer.from(" pässwörd \n"),
      Buffer.from([0xc3]),
    ]);
    const out = Buffer.concat([m.push(text.subarray(0, 6)), m.push(text.subarray(6)), m.end()]);
    expect(out).toEqual(
      Buffer.concat([Buffer.from([0xff, 0xfe, 0x80]), Buffer.from(` ${MASK} \n`), Buffer.from([0xc3])]),
    );
  });
});

describe("maskSecrets", () => {
  it("masks overlapping secrets as one, touching ones each, and leaves other text alone", () => {
    // One secret inside another, and two that overlap: no part of either may show.
    expect(maskSecrets("a tok-1234-xyz b", ["1234", "tok-1234-xyz"])).toBe(`a ${MASK} b`);
    expect(maskSecrets("x bcdefgh y", ["bcde", "cdefgh"])).toBe(`x ${MASK} y`);
    expect(maskSecrets("aaaaa", ["aaaa"])).toBe(MASK);
    expect(maskSecrets("hunter22hunter22", ["hunter22"])).toBe(MASK + MASK);
    expect(maskSecrets("nothing here", ["hunter22", ""])).toBe("nothing here");
  });
});
