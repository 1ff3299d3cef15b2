// Filters compiled to SQL must answer exactly what the RFC semantics (the in-memory evaluator) answer, also for
// non-ASCII data on attributes without a column of their own (read from folded_data, migration 0005).
import fc from "fast-check";
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { runs, scaled } from "../support/fast-check.ts";
import { printFilter } from "../../src/scim/filter/print.ts";
import { USER_RESOURCE } from "../../src/scim/schema/registry.ts";
import { ScimError } from "../../src/scim/errors.ts";
import { call, issueKey, json } from "./helpers.ts";
import { expectSqlAgreesWithEvaluator, filterOracle } from "./filter-differential.ts";
import { filterArb, userFilterArb } from "../unit/filter-arbitraries.ts";
import type { AttrPath, FilterValue } from "../../src/scim/filter/ast.ts";

const USER = "urn:ietf:params:scim:schemas:core:2.0:User";
const ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
let token = "";
let all: Record<string, unknown>[] = [];

const people: Record<string, unknown>[] = [
  { userName: "bjensen@example.com", title: "Tour Guide", name: { familyName: "Jensen", givenName: "Barbara" }, emails: [{ value: "bjensen@example.com", type: "work", primary: true }, { value: "babs@jensen.org", type: "home" }], active: true },
  { userName: "jsmith", name: { familyName: "Smith" }, emails: [{ value: "JSMITH@Example.COM", type: "work" }], active: false, userType: "Employee" },
  { userName: "E", title: "", active: true, [ENTERPRISE]: { employeeNumber: "701984", manager: { value: "mgr-1" } }, schemas: [USER, ENTERPRISE] },
  { userName: "work", emails: [{ value: "work@example.org", type: "other" }], name: { familyName: "work" } },
  { userName: "Zoë.Ünicode", displayName: "Zoë", active: false, [ENTERPRISE]: { employeeNumber: "2", department: "R&D" }, schemas: [USER, ENTERPRISE] },
  { userName: "no-extras" },
  { userName: "jensen-2", name: { familyName: "JENSEN", givenName: "B" }, emails: [{ value: "x@jensen.org", type: "work", primary: true }], title: "Jensen" },
  // Non-ASCII, case-insensitive attributes without a column: accented capitals, "ß" / "SS" / "ẞ", "é" composed
  // and decomposed, Turkish dotted İ, Greek sigma (final and medial), in core, complex, multi-valued and
  // extension attributes, and email types (kept in user_emails, folded since migration 0005).
  {
    userName: "emile-caps",
    name: { givenName: "ÉMILE", familyName: "ZOLA" },
    title: "DIRECTEUR GÉNÉRAL",
    nickName: "ÉM",
    addresses: [{ type: "work", locality: "MÜNCHEN", country: "DE" }],
    [ENTERPRISE]: { department: "STRASSE" },
    schemas: [USER, ENTERPRISE],
  },
  {
    userName: "emile-nfd",
    name: { givenName: "e\u0301mile", familyName: "Straße" },
    title: "Inge\u0301nieur",
    addresses: [{ type: "home", locality: "münchen" }, { type: "WORK", locality: "Köln" }],
    [ENTERPRISE]: { department: "ßeta" },
    schemas: [USER, ENTERPRISE],
  },
  { userName: "gross", name: { familyName: "GROẞ", givenName: "İLKER" }, title: "İstanbul Office", [ENTERPRISE]: { department: "ẞ" }, schemas: [USER, ENTERPRISE] },
  { userName: "greek", name: { familyName: "ΟΔΥΣΣΕΥΣ", givenName: "σοφός" }, title: "i\u0307stanbul office", nickName: "Σίσυφος" },
  { userName: "plain-ss", name: { familyName: "strasse", givenName: "ilker" }, title: "istanbul office", addresses: [{ type: "work", locality: "munchen" }] },
  { userName: "buro", emails: [{ value: "buro@example.de", type: "BÜRO" }, { value: "strasse@example.de", type: "Straße", primary: true }, { value: "w@example.de", type: "WORK" }] },
];

beforeAll(async () => {
  ({ token } = await issueKey("filter-co"));
  for (const person of people) {
    const res = await call("/scim/v2/Users", { method: "POST", token, body: JSON.stringify({ schemas: [USER], ...person }) });
    expect(res.status).toBe(201);
  }
  all = (await json<{ Resources: Record<string, unknown>[] }>(await call("/scim/v2/Users?count=1000", { token }))).Resources;
  expect(all).toHaveLength(people.length);
});

const { idsFor, expectedFor } = filterOracle("/scim/v2/Users?count=1000", USER_RESOURCE, () => token, () => all);

describe("rfc7644 3.4.2.2 filters over stored users", () => {
  const examples = [
    'userName eq "bjensen@example.com"',
    'userName eq "BJENSEN@EXAMPLE.COM"',
    'name.familyName co "O"',
    'name.familyName co "ens"',
    'userName sw "J"',
    'userName ew ".com"',
    "title pr",
    'title pr and userType eq "Employee"',
    'title pr or userType eq "Intern"',
    'userType eq "Employee" and (emails co "example.com" or emails.value co "example.org")',
    'userType ne "Employee" and not (emails co "example.com" or emails.value co "example.org")',
    'emails[type eq "work" and value co "@example.com"]',
    'emails[type eq "work" and primary eq true]',
    'emails.type eq "home"',
    "emails pr",
    'meta.lastModified gt "2011-05-13T04:42:34Z"',
    'meta.created lt "2011-05-13T04:42:34Z"',
    "active eq false",
    "not (active eq false)",
    'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber eq "701984"',
    'employeeNumber gt "1"',
    'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "mgr-1"',
    'displayName eq "ZOË"',
    'userName eq "zoë.ünicode"',
    'schemas eq "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"',
    'userName gt "j" and userName lt "k"',
    'meta.resourceType eq "User"',
    // Non-ASCII data on attributes read from folded_data: every operator, valuePaths, the extension.
    'name.givenName eq "émile"',
    'name.givenName eq "E\u0301MILE"',
    'name.givenName ne "émile"',
    'name.familyName eq "strasse"',
    'name.familyName eq "STRAẞE"',
    'name.familyName co "ß"',
    'name.familyName co "SS"',
    'name.familyName sw "groß"',
    'name.familyName ew "SSE"',
    'name.familyName gt "ström"',
    'name.familyName lt "ÖL"',
    'name.familyName eq "οδυσσευς"',
    'name.familyName eq "ΟΔΥΣΣΕΥΣ"',
    'name.givenName co "Σ"',
    'name.givenName eq "İlker"',
    'name.givenName eq "ilker"',
    'title co "ÉNÉ"',
    'title co "e\u0301n"',
    'title sw "İSTANBUL"',
    'title sw "i\u0307stanbul"',
    'title ew "OFFICE"',
    'nickName eq "σίσυφος"',
    'nickName sw "ém"',
    'addresses[locality eq "münchen"]',
    'addresses[type eq "work" and locality sw "MÜN"]',
    'addresses[not (locality co "ü")]',
    'addresses.locality co "ÜNC"',
    'addresses.locality ne "MÜNCHEN"',
    'department sw "ß"',
    'department eq "ss"',
    `${ENTERPRISE}:department co "SS"`,
    'name[givenName eq "ÉMILE" and familyName ew "a"]',
    'name[familyName sw "STRA"]',
    'emails[type eq "büro"]',
    'emails[type eq "STRASSE" and value co "@example.de"]',
    'emails[type eq "work" and primary eq true]',
    'emails.type sw "BÜ"',
    'emails.type co "ß"',
    'emails.type ne "Büro"',
    'emails.type gt "strasse"',
    'emails[type eq "büro"].value eq "BURO@example.de"',
  ];
  for (const filter of examples) {
    it(`answers ${filter}`, async () => {
      expect(await idsFor(filter)).toEqual(expectedFor(filter));
    });
  }

  it("a few answers checked by hand", async () => {
    const byName = (names: string[]) => all.filter((r) => names.includes(r.userName as string)).map((r) => r.id as string).sort();
    expect(await idsFor('name.familyName co "ens"')).toEqual(byName(["bjensen@example.com", "jensen-2"]));
    expect(await idsFor('emails[type eq "work" and value co "@example.com"]')).toEqual(byName(["bjensen@example.com", "jsmith"]));
    expect(await idsFor('userName eq "ZOË.ÜNICODE"')).toEqual(byName(["Zoë.Ünicode"]));
    expect(await idsFor("active eq false")).toEqual(byName(["jsmith", "Zoë.Ünicode"]));
  });

  it('entra: emails[type eq "work"].value eq "..." finds exactly the users whose WORK email is that value', async () => {
    const byName = (names: string[]) => all.filter((r) => names.includes(r.userName as string)).map((r) => r.id as string).sort();
    const entra = (value: string) => idsFor(`emails[type eq "work"].value eq "${value}"`);
    expect(await entra("x@jensen.org")).toEqual(byName(["jensen-2"]));
    // Emails compare case-insensitively (caseExact false), as in every other email lookup.
    expect(await entra("jsmith@example.com")).toEqual(byName(["jsmith"]));
    // One element must match both: bjensen's home address and the "other"-typed work@example.org are not work emails.
    expect(await entra("babs@jensen.org")).toEqual([]);
    expect(await entra("work@example.org")).toEqual([]);
    for (const value of ["x@jensen.org", "jsmith@example.com", "babs@jensen.org", "bjensen@example.com"]) {
      expect(await entra(value)).toEqual(await idsFor(`emails[type eq "work" and value eq "${value}"]`));
    }
  });

  it("SQL answers equal the RFC evaluator for random filters", async () => {
    let compared = 0;
    await fc.assert(
      fc.asyncProperty(userFilterArb, async (ast) => {
        const text = printFilter(ast);
        let expected: string[];
        try {
          expected = expectedFor(text);
        } catch (error) {
          if (!(error instanceof ScimError)) throw error;
          const res = await call(`/scim/v2/Users?filter=${encodeURIComponent(text)}`, { token });
          expect(res.status).toBe(400);
          expect((await json(res)).scimType).toBe("invalidFilter");
          return;
        }
        compared++;
        expect(await idsFor(text)).toEqual(expected);
      }),
      { numRuns: runs(600) },
    );
    expect(compared).toBeGreaterThan(scaled(50));
  });
});

/** Case-insensitive attributes kept only in the JSON, and values that fold differently from lower(). */
const unicodePathArb = fc.constantFrom<AttrPath>(
  { attribute: "name", subAttribute: "givenName" },
  { attribute: "name", subAttribute: "familyName" },
  { attribute: "title" },
  { attribute: "nickName" },
  { attribute: "addresses", subAttribute: "locality" },
  { attribute: "addresses" },
  { attribute: "name" },
  { attribute: "department" },
  { attribute: "userName" },
  { attribute: "profileUrl" },
  { attribute: "emails", subAttribute: "type" },
  { attribute: "emails" },
);
const unicodeElementPathArb = fc.constantFrom<AttrPath>(
  { attribute: "locality" },
  { attribute: "type" },
  { attribute: "value" },
  { attribute: "primary" },
  { attribute: "givenName" },
  { attribute: "familyName" },
);
const unicodeValueArb: fc.Arbitrary<FilterValue> = fc.constantFrom(
  "émile", "ÉMILE", "e\u0301mile", "É", "e\u0301", "strasse", "STRASSE", "Straße", "ß", "ẞ", "SS", "GROẞ", "münchen", "MÜN", "Ü",
  "İ", "i\u0307", "I", "i", "σ", "ς", "Σ", "οδυσσευς", "ΣΊΣΥΦΟΣ", "work", "WORK", "n", "", "büro", "BÜ", "STRASSE@EXAMPLE.DE",
);

describe("rfc7644 3.4.2.2 case-insensitive filters on non-ASCII data agree with the in-memory evaluator", () => {
  it("SQL answers equal the RFC evaluator for random filters over accented, sharp-s, Turkish and Greek data", async () => {
    // Not only all-or-nothing answers: the filters tell the users apart (minMatched).
    await expectSqlAgreesWithEvaluator(filterArb(unicodePathArb, unicodeValueArb, unicodeElementPathArb), { idsFor, expectedFor }, {
      numRuns: runs(400),
      minCompared: scaled(100),
      minMatched: scaled(30),
      total: () => all.length,
    });
  });

  it("entra: filter on a non-indexed attribute matches accented capitals the way PATCH value filters do", async () => {
    const byName = (names: string[]) => all.filter((r) => names.includes(r.userName as string)).map((r) => r.id as string).sort();
    // Both addresses in München, whatever their case; "munchen" without the umlaut is another city name.
    expect(await idsFor('addresses[locality eq "münchen"]')).toEqual(byName(["emile-caps", "emile-nfd"]));
    expect(await idsFor('name.givenName eq "émile"')).toEqual(byName(["emile-caps", "emile-nfd"]));
    // The PATCH value filter with the same bracket selects the same address of emile-caps.
    const target = all.find((r) => r.userName === "emile-caps")!;
    const res = await call(`/scim/v2/Users/${target.id as string}`, {
      method: "PATCH",
      token,
      body: JSON.stringify({
        schemas: ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        Operations: [{ op: "replace", path: 'addresses[locality eq "münchen"].postalCode', value: "80331" }],
      }),
    });
    expect(res.status).toBe(200);
    expect((await json<{ addresses: Record<string, unknown>[] }>(res)).addresses).toEqual([{ type: "work", locality: "MÜNCHEN", country: "DE", postalCode: "80331" }]);
    expect(await idsFor('addresses[locality eq "münchen" and postalCode eq "80331"]')).toEqual(byName(["emile-caps"]));
  });

  it("okta: a filter on name.familyName finds Straße, STRASSE and GROẞ under the full case fold, as userName does", async () => {
    const byName = (names: string[]) => all.filter((r) => names.includes(r.userName as string)).map((r) => r.id as string).sort();
    expect(await idsFor('name.familyName eq "STRASSE"')).toEqual(byName(["emile-nfd", "plain-ss"]));
    // Greek "ΣΣ" folds to "σσ", not to the Latin "ss".
    expect(await idsFor('name.familyName co "ß"')).toEqual(byName(["emile-nfd", "gross", "plain-ss"]));
    expect(await idsFor('name.familyName eq "groß"')).toEqual(byName(["gross"]));
    expect(await idsFor('department eq "SS"')).toEqual(byName(["gross"]));
    expect(await idsFor('department sw "ss"')).toEqual(byName(["emile-nfd", "gross"]));
  });

  it("rfc7643 2.3.7 reference attributes stay case-exact: profileUrl is not folded", async () => {
    const res = await call("/scim/v2/Users", {
      method: "POST",
      token,
      body: JSON.stringify({ schemas: [USER], userName: "profile-ref", profileUrl: "https://example.com/Émile" }),
    });
    expect(res.status).toBe(201);
    const { id } = await json<{ id: string }>(res);
    expect(await idsFor('profileUrl eq "https://example.com/Émile"')).toEqual([id]);
    expect(await idsFor('profileUrl eq "https://example.com/émile"')).toEqual([]);
    const stored = await env.DB.prepare("SELECT folded_data FROM users WHERE id = ?").bind(id).first<{ folded_data: string }>();
    expect(JSON.parse(stored!.folded_data)).toMatchObject({ userName: "profile-ref", profileUrl: "https://example.com/Émile" });
    expect((await call(`/scim/v2/Users/${id}`, { method: "DELETE", token })).status).toBe(204);
  });
});

describe("bad filters are 400 invalidFilter, never an unfiltered list", () => {
  for (const filter of ['userName eq', 'userName xx "a"', 'nope eq "a"', 'userName eq "unterminated', "(userName pr", 'userName eq "a" garbage']) {
    it(`rejects ${filter}`, async () => {
      const res = await call(`/scim/v2/Users?filter=${encodeURIComponent(filter)}`, { token });
      expect(res.status).toBe(400);
      const body = await json(res);
      expect(body.scimType).toBe("invalidFilter");
      expect(body).not.toHaveProperty("Resources");
    });
  }

  it("an injection attempt inside a string is one literal value", async () => {
    expect(await idsFor('userName eq "x\\" or 1 eq 1"')).toEqual([]);
    expect(await idsFor("userName eq \"x' OR '1'='1\"")).toEqual([]);
  });
});
