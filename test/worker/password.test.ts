// Password hashing (src/scim/password.ts): PBKDF2-SHA-256 over WebCrypto. Run inside workerd, not Node:
// workerd caps PBKDF2 at 100,000 iterations, and the hash must work in the runtime that ships.
import { describe, expect, it } from "vitest";
import { hashPassword, LEGACY_SCHEME, needsRehash, PBKDF2_ITERATIONS, SCHEME, verifyPassword } from "../../src/scim/password.ts";

const PEPPER = "test-pepper-0123456789abcdefghijklmnopqrstuv";

describe("password hashing (PBKDF2-SHA-256 over WebCrypto)", () => {
  it("uses the most iterations Cloudflare's production runtime allows", () => {
    expect(PBKDF2_ITERATIONS).toBe(100_000);
  });

  it("encodes scheme, iterations, a 16-byte salt and a 32-byte hash", async () => {
    const encoded = await hashPassword("t1meMa$heen", PEPPER);
    const [scheme, iterations, salt, hash, ...rest] = encoded.split("$");
    expect(rest).toEqual([]);
    // The scheme names the pepper (a version marker): hashes from before it are told apart and still verify.
    expect(scheme).toBe("pbkdf2-sha256-peppered");
    expect(iterations).toBe(String(PBKDF2_ITERATIONS));
    expect(atob(salt!)).toHaveLength(16);
    expect(atob(hash!)).toHaveLength(32);
  });

  it("salts every hash", async () => {
    expect(await hashPassword("same", PEPPER)).not.toBe(await hashPassword("same", PEPPER));
  });

  it("verifies the right password and rejects a wrong one", async () => {
    const encoded = await hashPassword("t1meMa$heen", PEPPER);
    expect(await verifyPassword("t1meMa$heen", encoded, PEPPER)).toBe(true);
    expect(await verifyPassword("t1meMa$heeN", encoded, PEPPER)).toBe(false);
    expect(await verifyPassword("", encoded, PEPPER)).toBe(false);
  });

  it("handles non-ASCII passwords as UTF-8", async () => {
    const encoded = await hashPassword("Grüße, 世界 🔑", PEPPER);
    expect(await verifyPassword("Grüße, 世界 🔑", encoded, PEPPER)).toBe(true);
    expect(await verifyPassword("Grusse, 世界 🔑", encoded, PEPPER)).toBe(false);
  });

  it("verifies hashes made with fewer iterations (the work factor can change)", async () => {
    // A hash built outside hashPassword at 1,000 iterations: verifyPassword must read the count from it.
    const salt = new Uint8Array(16).fill(7);
    const key = await crypto.subtle.importKey("raw", new TextEncoder().encode("pw"), "PBKDF2", false, ["deriveBits"]);
    const bits = new Uint8Array(await crypto.subtle.deriveBits({ name: "PBKDF2", hash: "SHA-256", salt, iterations: 1000 }, key, 256));
    const b64 = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes));
    const encoded = `${LEGACY_SCHEME}$1000$${b64(salt)}$${b64(bits)}`;
    expect(await verifyPassword("pw", encoded, PEPPER)).toBe(true);
    expect(await verifyPassword("pw", encoded.replace("$1000$", "$1001$"), PEPPER)).toBe(false);
  });

  it("refuses malformed hashes and iteration counts above the cap instead of deriving", async () => {
    const encoded = await hashPassword("pw", PEPPER);
    const [, , salt, hash] = encoded.split("$");
    for (const bad of [
      "",
      "plain",
      `pbkdf2-sha1$100000$${salt}$${hash}`,
      `pbkdf2-sha256$${PBKDF2_ITERATIONS + 1}$${salt}$${hash}`,
      `${SCHEME}$${PBKDF2_ITERATIONS + 1}$${salt}$${hash}`,
      `pbkdf2-sha256$0$${salt}$${hash}`,
      `pbkdf2-sha256$-5$${salt}$${hash}`,
      `pbkdf2-sha256$1e5$${salt}$${hash}`,
      `pbkdf2-sha256$100000$$${hash}`,
      `pbkdf2-sha256$100000$${salt}$${hash!.slice(4)}`,
      `pbkdf2-sha256$100000$not*base64$${hash}`,
      `${encoded}$extra`,
    ]) {
      expect(await verifyPassword("pw", bad, PEPPER), bad).toBe(false);
    }
  });

  it("peppers the hash: the same password and salt with another PASSWORD_PEPPER does not verify", async () => {
    const encoded = await hashPassword("t1meMa$heen", PEPPER);
    expect(await verifyPassword("t1meMa$heen", encoded, PEPPER)).toBe(true);
    expect(await verifyPassword("t1meMa$heen", encoded, `${PEPPER}x`)).toBe(false);
    // Without the pepper the stored hash is not PBKDF2 of the password: a stolen database alone cannot be guessed against.
    const [, , salt, hash] = encoded.split("$");
    const key = await crypto.subtle.importKey("raw", new TextEncoder().encode("t1meMa$heen"), "PBKDF2", false, ["deriveBits"]);
    const saltBytes = Uint8Array.from(atob(salt!), (ch) => ch.charCodeAt(0));
    const plain = new Uint8Array(await crypto.subtle.deriveBits({ name: "PBKDF2", hash: "SHA-256", salt: saltBytes, iterations: PBKDF2_ITERATIONS }, key, 256));
    expect(btoa(String.fromCharCode(...plain))).not.toBe(hash);
  });

  it("verifies hashes made before the pepper, and says they (and weaker ones) need rehashing", async () => {
    const salt = new Uint8Array(16).fill(3);
    const key = await crypto.subtle.importKey("raw", new TextEncoder().encode("old-pw"), "PBKDF2", false, ["deriveBits"]);
    const bits = new Uint8Array(await crypto.subtle.deriveBits({ name: "PBKDF2", hash: "SHA-256", salt, iterations: 1000 }, key, 256));
    const b64 = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes));
    const legacy = `${LEGACY_SCHEME}$1000$${b64(salt)}$${b64(bits)}`;
    expect(await verifyPassword("old-pw", legacy, PEPPER)).toBe(true);
    expect(needsRehash(legacy)).toBe(true);
    expect(needsRehash(await hashPassword("new-pw", PEPPER))).toBe(false);
    // A legacy-format hash is never mistaken for a peppered one, nor the other way round.
    expect(await verifyPassword("old-pw", legacy.replace(LEGACY_SCHEME, SCHEME), PEPPER)).toBe(false);
  });
});
