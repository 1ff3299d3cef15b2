// Request bodies and query strings as Okta and Microsoft Entra ID send them (the same shapes the worker's
// conformance tests pin: test/worker/users-okta.test.ts, users-entra.test.ts, groups*.test.ts).

const CORE_USER = "urn:ietf:params:scim:schemas:core:2.0:User";
const CORE_GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group";
const PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

type Json = Record<string, unknown>;

const patch = (...operations: Json[]): Json => ({ schemas: [PATCH_OP], Operations: operations });

/** Okta's existence check before a create (and Entra's, which leaves out startIndex/count). */
export const filterQuery = (attribute: string, value: string) =>
  `filter=${encodeURIComponent(`${attribute} eq "${value}"`)}&startIndex=1&count=100`;

export function oktaCreateUser(userName: string, n: string): Json {
  return {
    schemas: [CORE_USER],
    userName,
    name: { givenName: "New", familyName: `User ${n}` },
    emails: [{ primary: true, value: userName, type: "work" }],
    displayName: `New User ${n}`,
    locale: "en-US",
    externalId: `00unew${n}`,
    groups: [],
    active: true,
  };
}

/** Okta's profile push: the whole user back with PUT, changed attributes in place (meta and groups left out). */
export function oktaPutUser(current: Json, k: number): Json {
  const { meta: _meta, groups: _groups, ...user } = current;
  const name = typeof user.name === "object" && user.name !== null ? (user.name as Json) : {};
  return { ...user, name: { ...name, familyName: `Updated ${k}` }, title: `Title ${k % 17}` };
}

export const oktaSetActive = (active: boolean) => patch({ op: "replace", value: { active } });
export const oktaPassword = (k: number) => patch({ op: "replace", value: { password: `Bench-Passw0rd-${k}` } });

export const entraUserAttributes = (userName: string, k: number) =>
  patch(
    { op: "Replace", path: "displayName", value: `Entra User ${k}` },
    { op: "Replace", path: "name.familyName", value: `Entra ${k}` },
    { op: "Replace", path: 'emails[type eq "work"].value', value: userName },
  );
export const entraSetActive = (active: boolean) => patch({ op: "Replace", path: "active", value: active ? "True" : "False" });

export const oktaCreateGroup = (displayName: string): Json => ({ schemas: [CORE_GROUP], displayName, members: [] });

export const oktaAddMembers = (members: { id: string; display: string }[]) =>
  patch({ op: "add", path: "members", value: members.map((m) => ({ value: m.id, display: m.display })) });
export const oktaRemoveMember = (id: string) => patch({ op: "remove", path: `members[value eq "${id}"]` });
export const oktaRenameGroup = (id: string, displayName: string) => patch({ op: "replace", value: { id, displayName } });

export const entraAddMember = (id: string) => patch({ op: "Add", path: "members", value: [{ value: id }] });
export const entraRemoveMember = (id: string) => patch({ op: "Remove", path: "members", value: [{ value: id }] });
