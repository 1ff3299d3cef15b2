// RFC 7643 §7 and §8.7: what a standards-based SCIM client library reads from /Schemas and /ResourceTypes to build
// its typed model. One attribute without a characteristic its type needs (a `reference` without `referenceTypes`,
// a `complex` without `subAttributes`) is enough to make such a discovery step throw.
import { beforeAll, describe, expect, it } from "vitest";
import { call, issueKey, json } from "./helpers.ts";

const USER = "urn:ietf:params:scim:schemas:core:2.0:User";
const GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group";
const ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
const SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Schema";
const LIST = "urn:ietf:params:scim:api:messages:2.0:ListResponse";

interface Attribute {
  name: string;
  type: string;
  multiValued: boolean;
  description: string;
  required: boolean;
  caseExact: boolean;
  mutability: string;
  returned: string;
  uniqueness: string;
  canonicalValues?: string[];
  referenceTypes?: string[];
  subAttributes?: Attribute[];
  [characteristic: string]: unknown;
}
interface Schema {
  schemas: string[];
  id: string;
  name: string;
  description: string;
  attributes: Attribute[];
  meta: { resourceType: string; location: string };
}

let token = "";
let schemas: Schema[] = [];

beforeAll(async () => {
  ({ token } = await issueKey("discovery-co"));
  const res = await call("/scim/v2/Schemas", { token });
  expect(res.status).toBe(200);
  const body = await json<{ schemas: string[]; totalResults: number; Resources: Schema[] }>(res);
  expect(body.schemas).toEqual([LIST]);
  expect(body.totalResults).toBe(body.Resources.length);
  schemas = body.Resources;
});

const schemaById = (id: string) => {
  const schema = schemas.find((s) => s.id === id);
  if (!schema) throw new Error(`/Schemas has no ${id}`);
  return schema;
};

// ---------------------------------------------------------------------------------------------------------
// RFC 7643 §7: the characteristics every attribute definition carries, and those its type adds.

const TYPES = ["string", "boolean", "decimal", "integer", "dateTime", "reference", "binary", "complex"];
const MUTABILITY = ["readOnly", "readWrite", "immutable", "writeOnly"];
const RETURNED = ["always", "never", "default", "request"];
const UNIQUENESS = ["none", "server", "global"];

/** Every problem with one attribute definition, as "<schema>:<path>: <problem>". Empty when it is complete. */
function problemsOf(attribute: Attribute, path: string, isSub: boolean): string[] {
  const problems: string[] = [];
  const at = (problem: string) => problems.push(`${path}: ${problem}`);
  for (const [key, value] of Object.entries(attribute)) if (value === null) at(`"${key}" is null`);
  if (typeof attribute.name !== "string" || !/^(?:[A-Za-z][A-Za-z0-9_-]*|\$ref)$/.test(attribute.name)) at(`name ${JSON.stringify(attribute.name)} is not an ATTRNAME`);
  if (!TYPES.includes(attribute.type)) at(`type ${JSON.stringify(attribute.type)}`);
  for (const key of ["multiValued", "required", "caseExact"] as const) if (typeof attribute[key] !== "boolean") at(`${key} is not a boolean`);
  if (typeof attribute.description !== "string" || attribute.description === "") at("description missing");
  if (!MUTABILITY.includes(attribute.mutability)) at(`mutability ${JSON.stringify(attribute.mutability)}`);
  if (!RETURNED.includes(attribute.returned)) at(`returned ${JSON.stringify(attribute.returned)}`);
  if (!UNIQUENESS.includes(attribute.uniqueness)) at(`uniqueness ${JSON.stringify(attribute.uniqueness)}`);
  if (attribute.canonicalValues !== undefined && !(Array.isArray(attribute.canonicalValues) && attribute.canonicalValues.every((v) => typeof v === "string"))) {
    at("canonicalValues is not an array of strings");
  }
  // §7 "referenceTypes": "A multi-valued array of JSON strings that indicate the SCIM resource types that may be
  // referenced ... This attribute is only applicable for attributes that are of type 'reference'".
  if (attribute.type === "reference") {
    const types = attribute.referenceTypes;
    if (!Array.isArray(types) || types.length === 0 || !types.every((t) => typeof t === "string" && t !== "")) at("reference without referenceTypes");
  } else if (attribute.referenceTypes !== undefined) {
    at(`referenceTypes on a ${attribute.type}`);
  }
  // §7 "subAttributes": "When an attribute is of type 'complex', 'subAttributes' defines a set of sub-attributes";
  // §2.3.8: a complex attribute MUST NOT contain sub-attributes that have sub-attributes.
  if (attribute.type === "complex") {
    if (isSub) at("complex sub-attribute (RFC 7643 §2.3.8)");
    if (!Array.isArray(attribute.subAttributes) || attribute.subAttributes.length === 0) at("complex without subAttributes");
    const names = (attribute.subAttributes ?? []).map((s) => s.name.toLowerCase());
    if (new Set(names).size !== names.length) at("sub-attribute names repeat (case-insensitively)");
    for (const sub of attribute.subAttributes ?? []) problems.push(...problemsOf(sub, `${path}.${sub.name}`, true));
  } else if (attribute.subAttributes !== undefined) {
    at(`subAttributes on a ${attribute.type}`);
  }
  return problems;
}

describe("rfc7643 7: every attribute in /Schemas carries every characteristic its type needs", () => {
  it("each schema is a complete Schema resource", () => {
    expect(schemas.map((s) => s.id).sort()).toEqual([ENTERPRISE, GROUP, USER].sort());
    for (const schema of schemas) {
      expect(schema.schemas).toEqual([SCHEMA]);
      expect(typeof schema.name).toBe("string");
      expect(typeof schema.description).toBe("string");
      expect(schema.meta).toEqual({ resourceType: "Schema", location: `http://localhost:8787/t/discovery-co/scim/v2/Schemas/${schema.id}` });
      const names = schema.attributes.map((a) => a.name.toLowerCase());
      expect(new Set(names).size).toBe(names.length);
    }
  });

  it("walks every attribute and sub-attribute: none misses a characteristic, none is null", () => {
    const problems = schemas.flatMap((schema) => schema.attributes.flatMap((a) => problemsOf(a, `${schema.id}:${a.name}`, false)));
    expect(problems).toEqual([]);
  });

  it("rfc7643 8.7.1: User photos.value is a reference to an external resource", () => {
    const photos = schemaById(USER).attributes.find((a) => a.name === "photos")!;
    expect(photos.subAttributes!.find((s) => s.name === "value")).toMatchObject({ type: "reference", referenceTypes: ["external"] });
  });

  it("the walk catches what a client library would choke on", () => {
    const good: Attribute = { name: "x", type: "string", multiValued: false, description: "d", required: false, caseExact: false, mutability: "readWrite", returned: "default", uniqueness: "none" };
    expect(problemsOf(good, "x", false)).toEqual([]);
    expect(problemsOf({ ...good, type: "reference" }, "x", false)).toEqual(["x: reference without referenceTypes"]);
    expect(problemsOf({ ...good, type: "complex" }, "x", false)).toEqual(["x: complex without subAttributes"]);
    expect(problemsOf({ ...good, type: "complex", subAttributes: [{ ...good, type: "complex", subAttributes: [good] }] }, "x", false)).toEqual([
      "x.x: complex sub-attribute (RFC 7643 §2.3.8)",
    ]);
    const { uniqueness: _dropped, ...noUniqueness } = good;
    expect(problemsOf(noUniqueness as Attribute, "x", false)).toEqual(["x: uniqueness undefined"]);
    expect(problemsOf({ ...good, canonicalValues: null } as unknown as Attribute, "x", false)).toContain('x: "canonicalValues" is null');
  });

  it("rfc7643 6: /ResourceTypes names only schemas that /Schemas serves, each also at /Schemas/{id}", async () => {
    const types = await json<{ Resources: { id: string; schema: string; schemaExtensions: { schema: string; required: boolean }[] }[] }>(
      await call("/scim/v2/ResourceTypes", { token }),
    );
    expect(types.Resources.map((t) => t.id).sort()).toEqual(["Group", "User"]);
    for (const type of types.Resources) {
      for (const id of [type.schema, ...type.schemaExtensions.map((e) => e.schema)]) {
        const res = await call(`/scim/v2/Schemas/${id}`, { token });
        expect(res.status, id).toBe(200);
        expect(await json<Schema>(res)).toEqual(schemaById(id));
      }
    }
  });
});

// ---------------------------------------------------------------------------------------------------------
// RFC 7643 §8.7.1 (User, Enterprise User) and §8.7.2 (Group), attribute by attribute. Descriptions are not
// compared (ours describe this server's behaviour). Where the RFC's listing omits caseExact or uniqueness
// (booleans, complex attributes), ours is not compared either: RFC 7643 §2.2 gives the defaults we publish.

interface Expected {
  type: string;
  multiValued?: boolean;
  required?: boolean;
  caseExact?: boolean;
  mutability?: string;
  returned?: string;
  uniqueness?: string;
  canonicalValues?: string[];
  referenceTypes?: string[];
  sub?: Record<string, Expected>;
}

const s = (extra: Partial<Expected> = {}): Expected => ({ type: "string", caseExact: false, uniqueness: "none", ...extra });
const bool = (extra: Partial<Expected> = {}): Expected => ({ type: "boolean", ...extra });
const ref = (referenceTypes: string[], extra: Partial<Expected> = {}): Expected => ({ type: "reference", referenceTypes, caseExact: false, uniqueness: "none", ...extra });
const complex = (sub: Record<string, Expected>, extra: Partial<Expected> = {}): Expected => ({ type: "complex", sub, ...extra });
const multi = (sub: Record<string, Expected>, extra: Partial<Expected> = {}): Expected => complex(sub, { multiValued: true, ...extra });
const valueDisplayTypePrimary = (canonicalValues?: string[], value: Expected = s()): Record<string, Expected> => ({
  value,
  display: s(),
  type: s(canonicalValues ? { canonicalValues } : {}),
  primary: bool(),
});

const RFC_USER: Record<string, Expected> = {
  userName: s({ required: true, uniqueness: "server" }),
  name: complex({ formatted: s(), familyName: s(), givenName: s(), middleName: s(), honorificPrefix: s(), honorificSuffix: s() }),
  displayName: s(),
  nickName: s(),
  profileUrl: ref(["external"]),
  title: s(),
  userType: s(),
  preferredLanguage: s(),
  locale: s(),
  timezone: s(),
  active: bool(),
  password: s({ mutability: "writeOnly", returned: "never" }),
  emails: multi(valueDisplayTypePrimary(["work", "home", "other"])),
  phoneNumbers: multi(valueDisplayTypePrimary(["work", "home", "mobile", "fax", "pager", "other"])),
  ims: multi(valueDisplayTypePrimary(["aim", "gtalk", "icq", "xmpp", "msn", "skype", "qq", "yahoo"])),
  photos: multi(valueDisplayTypePrimary(["photo", "thumbnail"], ref(["external"]))),
  addresses: multi({
    formatted: s(),
    streetAddress: s(),
    locality: s(),
    region: s(),
    postalCode: s(),
    country: s(),
    type: s({ canonicalValues: ["work", "home", "other"] }),
    // Deviation: the §8.7.1 listing has no addresses.primary, but §4.1.2 defines it for addresses and §2.4 for
    // every multi-valued attribute; Entra sends {"primary": true} in addresses (its Disable User example).
    primary: bool(),
  }),
  groups: multi(
    {
      value: s({ mutability: "readOnly" }),
      // Deviation: §8.7.1 lists ["User", "Group"]; a user's groups are only ever Groups here (§4.1.2: "the URI of
      // the corresponding 'Group' resource"), so that is all the server advertises.
      $ref: ref(["Group"], { mutability: "readOnly" }),
      display: s({ mutability: "readOnly" }),
      type: s({ canonicalValues: ["direct", "indirect"], mutability: "readOnly" }),
    },
    { mutability: "readOnly" },
  ),
  // The RFC lists roles.type and x509Certificates.type with "canonicalValues": [], which says the same as none.
  entitlements: multi(valueDisplayTypePrimary()),
  roles: multi(valueDisplayTypePrimary()),
  x509Certificates: multi(valueDisplayTypePrimary(undefined, { type: "binary", caseExact: false, uniqueness: "none" })),
};

const RFC_ENTERPRISE: Record<string, Expected> = {
  employeeNumber: s(),
  costCenter: s(),
  organization: s(),
  division: s(),
  department: s(),
  manager: complex({ value: s(), $ref: ref(["User"]), displayName: s({ mutability: "readOnly" }) }),
};

const RFC_GROUP: Record<string, Expected> = {
  // Deviation: §8.7.2 lists displayName as optional and not unique. §4.2 calls it REQUIRED, and Entra matches
  // groups by it and requires it to be unique, so the server enforces both (per tenant, case-insensitively).
  displayName: s({ required: true, uniqueness: "server" }),
  members: multi({
    // Deviation: members.value holds resource ids, which are caseExact like "id" itself (§3.1).
    value: s({ mutability: "immutable", caseExact: true }),
    $ref: ref(["User", "Group"], { mutability: "immutable" }),
    type: s({ canonicalValues: ["User", "Group"], mutability: "immutable" }),
    // Deviation: §8.7.2's listing has no members.display; the server returns the member's name there (readOnly),
    // as §4.2's text and Okta's and Entra's clients expect.
    display: s({ mutability: "readOnly" }),
  }),
};

/** Differences between a served definition and the RFC's, as "<path>.<characteristic>: served X, RFC Y". */
function differences(served: Attribute[], expected: Record<string, Expected>, path: string): string[] {
  const out: string[] = [];
  const servedNames = served.map((a) => a.name).sort();
  const expectedNames = Object.keys(expected).sort();
  if (JSON.stringify(servedNames) !== JSON.stringify(expectedNames)) out.push(`${path}: attributes ${servedNames.join(",")} vs RFC ${expectedNames.join(",")}`);
  for (const attribute of served) {
    const rfc = expected[attribute.name];
    if (!rfc) continue;
    const at = `${path}${path ? "." : ""}${attribute.name}`;
    const want: Record<string, unknown> = {
      type: rfc.type,
      multiValued: rfc.multiValued ?? false,
      required: rfc.required ?? false,
      mutability: rfc.mutability ?? "readWrite",
      returned: rfc.returned ?? "default",
      canonicalValues: rfc.canonicalValues,
      referenceTypes: rfc.referenceTypes,
      ...(rfc.caseExact !== undefined ? { caseExact: rfc.caseExact } : {}),
      ...(rfc.uniqueness !== undefined ? { uniqueness: rfc.uniqueness } : {}),
    };
    for (const [key, value] of Object.entries(want)) {
      const got = attribute[key];
      if (JSON.stringify(got) !== JSON.stringify(value)) out.push(`${at}.${key}: served ${JSON.stringify(got)}, RFC ${JSON.stringify(value)}`);
    }
    if (rfc.sub) out.push(...differences(attribute.subAttributes ?? [], rfc.sub, at));
  }
  return out;
}

describe("rfc7643 8.7: the core schemas match the RFC's definitions attribute by attribute", () => {
  it("rfc7643 8.7.1: User", () => {
    const user = schemaById(USER);
    expect({ name: user.name, description: user.description }).toEqual({ name: "User", description: "User Account" });
    expect(differences(user.attributes, RFC_USER, "")).toEqual([]);
  });

  it("rfc7643 8.7.1: Enterprise User", () => {
    const enterprise = schemaById(ENTERPRISE);
    expect({ name: enterprise.name, description: enterprise.description }).toEqual({ name: "EnterpriseUser", description: "Enterprise User" });
    expect(differences(enterprise.attributes, RFC_ENTERPRISE, "")).toEqual([]);
  });

  it("rfc7643 8.7.2: Group", () => {
    const group = schemaById(GROUP);
    expect({ name: group.name, description: group.description }).toEqual({ name: "Group", description: "Group" });
    expect(differences(group.attributes, RFC_GROUP, "")).toEqual([]);
  });

  it("the comparison notices a difference", () => {
    const served = schemaById(USER).attributes.map((a) => (a.name === "userName" ? { ...a, uniqueness: "none" } : a));
    expect(differences(served, RFC_USER, "")).toEqual(['userName.uniqueness: served "none", RFC "server"']);
  });
});
