// Password hashing (src/scim/password.ts): PBKDF2-SHA-256 over WebCrypto. Run inside workerd, not Node:
// workerd caps PBKDF2 at 100,000 iterations, and the hash must work in the runtime that ships.
import { describe, expect, it } from "vitest";
import { hashPassword, PBKDF2_ITERATIONS, verifyPassword } from "../../src/scim/password.ts";

describe("password hashing (PBKDF2-SHA-256 over WebCrypto)", () => {
  it("uses the most iterations Cloudflare's production runtime allows", () => {
    expect(PBKDF2_ITERATIONS).toBe(100_000);
  });

  it("encodes scheme, iterations, a 16-byte salt and a 32-byte hash", async () => {
    const encoded = await hashPassword("t1meMa$heen");
    const [scheme, iterations, salt, hash, ...rest] = encoded.split("$");
    expect(rest).toEqual([]);
    expect(scheme).toBe("pbkdf2-sha256");
    expect(iterations).toBe(String(PBKDF2_ITERATIONS));
    expect(atob(salt!)).toHaveLength(16);
    expect(atob(hash!)).toHaveLength(32);
  });

  it("salts every hash", async () => {
    expect(await hashPassword("same")).not.toBe(await hashPassword("same"));
  });

  it("verifies the right password and rejects a wrong one", async () => {
    const encoded = await hashPassword("t1meMa$heen");
    expect(await verifyPassword("t1meMa$heen", encoded)).toBe(true);
    expect(await verifyPassword("t1meMa$heeN", encoded)).toBe(false);
    expect(await verifyPassword("", encoded)).toBe(false);
  });

  it("handles non-ASCII passwords as UTF-8", async () => {
    const encoded = await hashPassword("Grüße, 世界 🔑");
    expect(await verifyPassword("Grüße, 世界 🔑", encoded)).toBe(true);
    expect(await verifyPassword("Grusse, 世界 🔑", encoded)).toBe(false);
  });

  it("verifies hashes made with fewer iterations (the work factor can change)", async () => {
    // A hash built outside hashPassword at 1,000 iterations: verifyPassword must read the count from it.
    const salt = new Uint8Array(16).fill(7);
    const key = await crypto.subtle.importKey("raw", new TextEncoder().encode("pw"), "PBKDF2", false, ["deriveBits"]);
    const bits = new Uint8Array(await crypto.subtle.deriveBits({ name: "PBKDF2", hash: "SHA-256", salt, iterations: 1000 }, key, 256));
    const b64 = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes));
    const encoded = `pbkdf2-sha256$1000$${b64(salt)}$${b64(bits)}`;
    expect(await verifyPassword("pw", encoded)).toBe(true);
    expect(await verifyPassword("pw", encoded.replace("$1000$", "$1001$"))).toBe(false);
  });

  it("refuses malformed hashes and iteration counts above the cap instead of deriving", async () => {
    const encoded = await hashPassword("pw");
    const [, , salt, hash] = encoded.split("$");
    for (const bad of [
      "",
      "plain",
      `pbkdf2-sha1$100000$${salt}$${hash}`,
      `pbkdf2-sha256$${PBKDF2_ITERATIONS + 1}$${salt}$${hash}`,
      `pbkdf2-sha256$0$${salt}$${hash}`,
      `pbkdf2-sha256$-5$${salt}$${hash}`,
      `pbkdf2-sha256$1e5$${salt}$${hash}`,
      `pbkdf2-sha256$100000$$${hash}`,
      `pbkdf2-sha256$100000$${salt}$${hash!.slice(4)}`,
      `pbkdf2-sha256$100000$not*base64$${hash}`,
      `${encoded}$extra`,
    ]) {
      expect(await verifyPassword("pw", bad), bad).toBe(false);
    }
  });
});
