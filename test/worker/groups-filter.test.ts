// /Groups filters compiled to SQL must answer exactly what the in-memory evaluator answers for the groups a GET
// returns, also for non-ASCII names: members.display (the member's name, read through a join) and schemas
// (kept in the JSON) compare under the full case fold, as displayName and PATCH value filters do.
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { runs, scaled } from "../support/fast-check.ts";
import type { AttrPath, FilterValue } from "../../src/scim/filter/ast.ts";
import { GROUP_RESOURCE } from "../../src/scim/schema/registry.ts";
import { filterArb } from "../unit/filter-arbitraries.ts";
import { call, issueKey, json } from "./helpers.ts";
import { expectSqlAgreesWithEvaluator, filterOracle } from "./filter-differential.ts";

const USER = "urn:ietf:params:scim:schemas:core:2.0:User";
const GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group";
const ENTRA_GROUP = "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group";
let token = "";
let all: Record<string, unknown>[] = [];
const ids: Record<string, string> = {};

async function create(path: string, body: Record<string, unknown>): Promise<string> {
  const res = await call(path, { method: "POST", token, body: JSON.stringify(body) });
  expect(res.status).toBe(201);
  return (await json<{ id: string }>(res)).id;
}

beforeAll(async () => {
  ({ token } = await issueKey("groups-filter-co"));
  ids.emile = await create("/scim/v2/Users", { schemas: [USER], userName: "emile", displayName: "ÉMILE ZOLA" });
  ids.nfd = await create("/scim/v2/Users", { schemas: [USER], userName: "nfd", displayName: "e\u0301mile zola" });
  // No displayName: a member's display is then its userName.
  ids.strasse = await create("/scim/v2/Users", { schemas: [USER], userName: "Straße@example.com" });
  ids.gross = await create("/scim/v2/Users", { schemas: [USER], userName: "gross", displayName: "GROẞ" });
  ids.greek = await create("/scim/v2/Users", { schemas: [USER], userName: "greek", displayName: "ΟΔΥΣΣΕΥΣ" });
  ids.turkish = await create("/scim/v2/Users", { schemas: [USER], userName: "turkish", displayName: "İLKER" });
  ids.team = await create("/scim/v2/Groups", { schemas: [GROUP], displayName: "STRASSEN-TEAM", members: [{ value: ids.gross }] });
  ids.equipe = await create("/scim/v2/Groups", {
    schemas: [GROUP],
    displayName: "Équipe",
    members: [{ value: ids.emile }, { value: ids.strasse }, { value: ids.team }],
  });
  ids.entra = await create("/scim/v2/Groups", {
    schemas: [GROUP, ENTRA_GROUP],
    displayName: "ilker's",
    externalId: "entra-1",
    members: [{ value: ids.nfd }, { value: ids.greek }, { value: ids.turkish }],
  });
  ids.empty = await create("/scim/v2/Groups", { schemas: [GROUP], displayName: "Straße leer" });
  all = (await json<{ Resources: Record<string, unknown>[] }>(await call("/scim/v2/Groups?count=1000", { token }))).Resources;
  expect(all).toHaveLength(4);
});

const { idsFor, expectedFor } = filterOracle("/scim/v2/Groups?count=1000&excludedAttributes=members", GROUP_RESOURCE, () => token, () => all);

const groupsNamed = (...names: string[]) => names.map((name) => ids[name]!).sort();

describe("rfc7644 3.4.2.2 /Groups filters on non-ASCII names agree with the in-memory evaluator", () => {
  const examples = [
    'members[display eq "émile zola"]',
    'members[display eq "E\u0301MILE ZOLA"]',
    'members.display co "SS"',
    'members.display co "ß"',
    'members.display sw "straß"',
    'members.display ew "ẞ"',
    'members.display gt "s"',
    'members.display lt "É"',
    'members.display ne "émile zola"',
    'members.display eq "οδυσσευς"',
    'members.display eq "İlker"',
    'members.display eq "ilker"',
    'members[type eq "user" and display sw "ÉM"]',
    'members[type eq "GROUP" and display eq "strassen-team"]',
    'members.type eq "group"',
    'members[not (display co "ü")]',
    'displayName eq "ÉQUIPE"',
    'displayName co "ß"',
    'displayName sw "İLKER"',
    `schemas eq "${ENTRA_GROUP.toUpperCase()}"`,
    'schemas co "adscim"',
    'schemas ew "2.0:group"',
  ];
  for (const filter of examples) {
    it(`answers ${filter}`, async () => {
      expect(await idsFor(filter)).toEqual(expectedFor(filter));
    });
  }

  it("entra: a group filter on members.display matches accented capitals and ß the way displayName does", async () => {
    expect(await idsFor('members[display eq "émile zola"]')).toEqual(groupsNamed("equipe", "entra"));
    expect(await idsFor('members.display eq "STRASSE@EXAMPLE.COM"')).toEqual(groupsNamed("equipe"));
    expect(await idsFor('members[type eq "Group" and display eq "straßen-team"]')).toEqual(groupsNamed("equipe"));
    expect(await idsFor('displayName eq "straße leer"')).toEqual(groupsNamed("empty"));
    expect(await idsFor(`schemas eq "${ENTRA_GROUP.toLowerCase()}"`)).toEqual(groupsNamed("entra"));
  });

  const pathArb = fc.constantFrom<AttrPath>(
    { attribute: "displayName" },
    { attribute: "members", subAttribute: "display" },
    { attribute: "members", subAttribute: "type" },
    { attribute: "members" },
    { attribute: "schemas" },
    { attribute: "externalId" },
  );
  const elementArb = fc.constantFrom<AttrPath>({ attribute: "display" }, { attribute: "type" }, { attribute: "value" });
  const valueArb: fc.Arbitrary<FilterValue> = fc.constantFrom(
    "émile zola", "ÉMILE", "e\u0301", "É", "strasse", "STRASSE", "Straße", "ß", "ẞ", "SS", "GROẞ", "straßen-team",
    "İ", "i\u0307", "I", "i", "σ", "ς", "Σ", "οδυσσευς", "user", "GROUP", "Group", "adscim", "entra-1", "ENTRA-1", "",
  );

  it("SQL answers equal the RFC evaluator for random /Groups filters over non-ASCII member names", async () => {
    await expectSqlAgreesWithEvaluator(filterArb(pathArb, valueArb, elementArb), { idsFor, expectedFor }, {
      numRuns: runs(300),
      minCompared: scaled(100),
      minMatched: scaled(20),
      total: () => all.length,
    });
  });
});
