// The folded document (src/scim/folded-document.ts): what the SQL filter reads for attributes without a column.
import { describe, expect, it } from "vitest";
import { foldedDocument } from "../../src/scim/folded-document.ts";
import { GROUP_RESOURCE, USER_RESOURCE } from "../../src/scim/schema/registry.ts";

const USER = "urn:ietf:params:scim:schemas:core:2.0:User";
const ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

describe("folded document", () => {
  it("rfc7643 2.1 caseExact: folds the strings of case-insensitive attributes and keeps everything else", () => {
    const data = {
      schemas: [USER, ENTERPRISE],
      userName: "ÉMILE",
      externalId: "ÉMILE-1",
      profileUrl: "https://example.com/Émile",
      active: true,
      name: { givenName: "e\u0301mile", familyName: "GROẞ" },
      emails: [{ value: "E@X.DE", type: "BÜRO", primary: true }],
      x509Certificates: [{ value: "TUlJ" }],
      [ENTERPRISE]: { department: "Straße", manager: { value: "MGR", $ref: "https://example.com/Users/MGR" } },
    };
    expect(foldedDocument(data, USER_RESOURCE)).toEqual({
      schemas: [USER.toLowerCase(), ENTERPRISE.toLowerCase()],
      userName: "émile",
      externalId: "ÉMILE-1",
      profileUrl: "https://example.com/Émile",
      active: true,
      name: { givenName: "émile", familyName: "gross" },
      emails: [{ value: "e@x.de", type: "büro", primary: true }],
      x509Certificates: [{ value: "TUlJ" }],
      [ENTERPRISE]: { department: "strasse", manager: { value: "mgr", $ref: "https://example.com/Users/MGR" } },
    });
  });

  it("writes names as the schema spells them, the exact spelling winning, and keeps unknown members as they are", () => {
    const folded = foldedDocument({ UserName: "A", Title: "B", title: "C", [ENTERPRISE.toUpperCase()]: { DEPARTMENT: "D" }, custom: "E" }, USER_RESOURCE);
    expect(folded).toEqual({ userName: "a", title: "c", [ENTERPRISE]: { department: "d" }, custom: "E" });
  });

  it("never holds a never-returned attribute (password)", () => {
    expect(foldedDocument({ userName: "a", password: "Secret" }, USER_RESOURCE)).toEqual({ userName: "a" });
  });

  it("groups: displayName and schemas fold, externalId does not", () => {
    const data = { schemas: ["urn:ietf:params:scim:schemas:core:2.0:Group", "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"], displayName: "Équipe", externalId: "Ext" };
    expect(foldedDocument(data, GROUP_RESOURCE)).toEqual({
      schemas: ["urn:ietf:params:scim:schemas:core:2.0:group", "http://schemas.microsoft.com/2006/11/resourcemanagement/adscim/2.0/group"],
      displayName: "équipe",
      externalId: "Ext",
    });
  });
});
