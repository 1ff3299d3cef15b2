// userName and group displayName compare the same way everywhere (uniqueness on write, `eq` in filters),
// under Unicode: NFC normalisation and full case folding (src/scim/fold.ts), beyond ASCII. Deliberate
// non-equivalences are named in the test titles.
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { foldKey } from "../../src/scim/fold.ts";
import { call, expectScimError, issueKey, json } from "./helpers.ts";
import { checkInvariants } from "./invariants.ts";

const USER = "urn:ietf:params:scim:schemas:core:2.0:User";
const GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group";
const PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

let token = "";
let tenantId = 0;

beforeAll(async () => {
  vi.spyOn(console, "log").mockImplementation(() => {});
  const slug = `unicode-${crypto.randomUUID().slice(0, 8)}`;
  ({ token } = await issueKey(slug));
  tenantId = (await env.DB.prepare("SELECT id FROM tenants WHERE slug = ?").bind(slug).first<{ id: number }>())?.id ?? 0;
});

const createUser = (userName: string) => call("/scim/v2/Users", { method: "POST", token, body: JSON.stringify({ schemas: [USER], userName }) });
const createGroup = (displayName: string) => call("/scim/v2/Groups", { method: "POST", token, body: JSON.stringify({ schemas: [GROUP], displayName }) });

async function usersNamed(userName: string): Promise<string[]> {
  const res = await call(`/scim/v2/Users?filter=${encodeURIComponent(`userName eq ${JSON.stringify(userName)}`)}`, { token });
  expect(res.status).toBe(200);
  return (await json<{ Resources: { userName: string }[] }>(res)).Resources.map((r) => r.userName);
}

async function groupsNamed(displayName: string): Promise<string[]> {
  const res = await call(`/scim/v2/Groups?filter=${encodeURIComponent(`displayName eq ${JSON.stringify(displayName)}`)}`, { token });
  expect(res.status).toBe(200);
  return (await json<{ Resources: { displayName: string }[] }>(res)).Resources.map((r) => r.displayName);
}

/** The first spelling is created; every other one is the same name: a 409 on create, and `eq` finds the first. */
function sameName(label: string, spellings: string[]): void {
  const [first = "", ...others] = spellings;
  it(`userName: ${label} are one name (409 uniqueness; userName eq finds it in every spelling)`, async () => {
    expect((await createUser(first)).status).toBe(201);
    for (const other of others) {
      const body = await expectScimError(await createUser(other), 409, "uniqueness");
      expect(body.detail).toContain(other);
    }
    for (const spelling of spellings) expect(await usersNamed(spelling)).toEqual([first]);
  });
  it(`group displayName: ${label} are one name (409 uniqueness; displayName eq finds it in every spelling)`, async () => {
    expect((await createGroup(first)).status).toBe(201);
    for (const other of others) await expectScimError(await createGroup(other), 409, "uniqueness");
    for (const spelling of spellings) expect(await groupsNamed(spelling)).toEqual([first]);
  });
}

/** Every spelling is its own name: each is created, and `eq` finds only itself. */
function distinctNames(label: string, spellings: string[]): void {
  it(`userName: ${label} (each is created; userName eq finds only itself)`, async () => {
    for (const spelling of spellings) expect((await createUser(spelling)).status, spelling).toBe(201);
    for (const spelling of spellings) expect(await usersNamed(spelling)).toEqual([spelling]);
  });
  it(`group displayName: ${label} (each is created; displayName eq finds only itself)`, async () => {
    for (const spelling of spellings) expect((await createGroup(spelling)).status, spelling).toBe(201);
    for (const spelling of spellings) expect(await groupsNamed(spelling)).toEqual([spelling]);
  });
}

describe("names equal under NFC and full case folding", () => {
  sameName('German sharp s: "Straße", "STRASSE", "strasse", "STRAẞE" (capital ẞ U+1E9E)', ["Straße", "STRASSE", "strasse", "STRAẞE"]);
  sameName('NFC vs NFD: "José" composed (U+00E9) and decomposed (e + U+0301), in either case', ["Jos\u00e9", "Jose\u0301", "JOSE\u0301", "JOS\u00c9"]);
  sameName('Greek with final sigma: "ΣΊΣΥΦΟΣ", "σίσυφος", "σίσυφοσ" (non-final σ at the end)', ["ΣΊΣΥΦΟΣ", "σίσυφος", "σίσυφοσ"]);
  sameName('Cyrillic: "ПРИВЕТ" and "привет"', ["ПРИВЕТ", "привет", "ПрИвЕт"]);
  sameName('Armenian: "ԱՐԱՄ" and "արամ"', ["ԱՐԱՄ", "արամ"]);
  sameName('titlecase digraph "ǅemal", "ǄEMAL", "ǆemal"', ["ǅemal", "ǄEMAL", "ǆemal"]);
  sameName('ligature "ﬁle" (U+FB01) and "FILE"', ["ﬁle", "FILE", "file"]);
  sameName('Kelvin sign "\u212Aelvin" (U+212A, NFC → K) and "kelvin"', ["\u212Aelvin", "kelvin"]);
  sameName('Ångström sign "\u212Bngström" (U+212B, NFC → Å) and "ångström"', ["\u212Bngstr\u00f6m", "\u00e5ngstr\u00f6m"]);
  sameName('deliberate: Turkish dotless "ı" folds to "i" (upper-then-lower, unlike Unicode CaseFolding.txt): "kırmızı", "KIRMIZI", "kirmizi"', ["kırmızı", "KIRMIZI", "kirmizi"]);
});

describe("names that stay distinct", () => {
  distinctNames('deliberate: Turkish dotted "İstanbul" (U+0130) folds to "i̇stanbul" (i + U+0307), so it is not "istanbul"', ["İstanbul", "istanbul"]);
  distinctNames('deliberate: fullwidth "ＡＢＣ" is not "ABC" (NFC, not NFKC: compatibility forms stay distinct)', ["ＡＢＣ", "ABC"]);
  distinctNames('deliberate: superscript "x²" is not "x2" (NFC, not NFKC)', ["x²", "x2"]);
  distinctNames("accents are significant: \"resume\", \"résumé\"", ["resume", "résumé"]);
  distinctNames("zero-width joiner and non-breaking space are characters: \"a\u200db\", \"ab\", \"a\u00a0b\", \"a b\"", ["a\u200db", "ab", "a\u00a0b", "a b"]);

  it('deliberate: "İSTANBUL" finds "İstanbul" and "ISTANBUL" finds "istanbul"', async () => {
    expect(await usersNamed("İSTANBUL")).toEqual(["İstanbul"]);
    expect(await usersNamed("ISTANBUL")).toEqual(["istanbul"]);
  });
});

describe("renames and filters use the same comparison", () => {
  it("a PUT or PATCH renaming a user onto another's name in a different case or normal form is 409 and changes nothing", async () => {
    expect((await createUser("Zoë")).status).toBe(201);
    const other = await json<{ id: string }>(await createUser("someone-else"));
    await expectScimError(
      await call(`/scim/v2/Users/${other.id}`, { method: "PUT", token, body: JSON.stringify({ schemas: [USER], userName: "ZOE\u0308" }) }),
      409,
      "uniqueness",
    );
    await expectScimError(
      await call(`/scim/v2/Users/${other.id}`, { method: "PATCH", token, body: JSON.stringify({ schemas: [PATCH_OP], Operations: [{ op: "replace", path: "userName", value: "zoë" }] }) }),
      409,
      "uniqueness",
    );
    expect((await json(await call(`/scim/v2/Users/${other.id}`, { token }))).userName).toBe("someone-else");
  });

  it("a user may change the case or normal form of its own name", async () => {
    const user = await json<{ id: string }>(await createUser("Ægir"));
    const res = await call(`/scim/v2/Users/${user.id}`, { method: "PATCH", token, body: JSON.stringify({ schemas: [PATCH_OP], Operations: [{ op: "replace", path: "userName", value: "ÆGIR" }] }) });
    expect(res.status).toBe(200);
    expect((await json(res)).userName).toBe("ÆGIR");
    expect(await usersNamed("ægir")).toEqual(["ÆGIR"]);
  });

  it("co / sw / ew on userName fold the same way (ß matches SS)", async () => {
    expect((await createUser("Großmann")).status).toBe(201);
    for (const filter of ['userName co "ROSSM"', 'userName sw "GROSS"', 'userName ew "SSMANN"', 'userName co "ßm"']) {
      const res = await call(`/scim/v2/Users?filter=${encodeURIComponent(filter)}`, { token });
      expect(res.status, filter).toBe(200);
      expect((await json<{ Resources: { userName: string }[] }>(res)).Resources.map((r) => r.userName), filter).toEqual(["Großmann"]);
    }
  });

  it("stored keys are foldKey of the stored names, and every invariant holds", async () => {
    const rows = (await env.DB.prepare("SELECT user_name, user_name_key FROM users WHERE tenant_id = ?").bind(tenantId).all<{ user_name: string; user_name_key: string }>()).results;
    expect(rows.length).toBeGreaterThan(10);
    for (const row of rows) expect(row.user_name_key).toBe(foldKey(row.user_name));
    expect(await checkInvariants([tenantId])).toEqual([]);
  });
});

describe("foldKey is stable and agrees for upper, lower and NFD forms, for every code point", () => {
  it("foldKey(foldKey(x)) = foldKey(x) = foldKey(upper(x)) = foldKey(lower(x)) = foldKey(NFD(x))", () => {
    const broken: string[] = [];
    let checked = 0;
    for (let cp = 0; cp <= 0x10ffff; cp++) {
      if (cp >= 0xd800 && cp <= 0xdfff) continue;
      const x = String.fromCodePoint(cp);
      const upper = x.toUpperCase();
      const lower = x.toLowerCase();
      const nfd = x.normalize("NFD");
      // A character that case mapping and normalisation leave alone is its own key: nothing to compare.
      if (upper === x && lower === x && nfd === x && x.normalize("NFC") === x) continue;
      checked++;
      const key = foldKey(x);
      for (const variant of [key, upper, lower, nfd]) {
        if (foldKey(variant) !== key) broken.push(`U+${cp.toString(16).toUpperCase()}`);
      }
    }
    expect(checked).toBeGreaterThan(2000);
    expect(broken).toEqual([]);
  }, 60_000);
});
