// Every measured operation by name, with the floor it is compared with (a bare prepared D1 statement done
// by bench/worker/floor-routes.ts) and whether the "within a small constant of the floor" applies.

export interface OpInfo {
  name: string;
  /** The floor operation's name (a key of FLOORS), or null where no single statement is comparable. */
  floor: string | null;
  /** One of the cost targets: lookups, first/last page, member changes, unfiltered count. */
  check: boolean;
  /**
   * For a request that needs two dependent steps (PUT and PATCH read, then write; a page with groups lists
   * group ids, then their names): the two-statement floor of that shape (two round trips).
   */
  twoStepFloor?: string;
}

/** The floor statements, by the name the report shows, with the bench-floor route operation behind each. */
export const FLOORS = {
  "floor: user by userName (hit)": "user-by-username",
  "floor: user by userName (miss)": "user-by-username",
  "floor: user by id": "user-by-id",
  "floor: insert user": "user-insert",
  "floor: update user": "user-update",
  "floor: delete user": "user-delete",
  "floor: read user count": "users-count",
  "floor: first 100 users": "users-first-page",
  "floor: last 100 users": "users-last-page",
  "floor: first 100 users with their group ids": "users-first-page-groups",
  "floor: last 100 users with their group ids": "users-last-page-groups",
  "floor: group by displayName (miss)": "group-by-name",
  "floor: group by id": "group-by-id",
  "floor: insert group": "group-insert",
  "floor: update group": "group-update",
  "floor: delete group": "group-delete",
  "floor: insert member": "member-insert",
  "floor: delete member": "member-delete",
  "floor: read, then update user": "user-read-update",
  "floor: read, then update group": "group-read-update",
  "floor: first 100 users with their group ids, then the names": "users-first-page-groups-names",
  "floor: last 100 users with their group ids, then the names": "users-last-page-groups-names",
} as const;
export type FloorName = keyof typeof FLOORS;

const op = (name: string, floor: FloorName | null, check = false, twoStepFloor?: FloorName): OpInfo => ({
  name,
  floor,
  check,
  ...(twoStepFloor !== undefined ? { twoStepFloor } : {}),
});
const READ_UPDATE_USER: FloorName = "floor: read, then update user";

export const OPS = {
  lookupMiss: op("user: lookup userName, miss (okta)", "floor: user by userName (miss)", true),
  create: op("user: create (okta)", "floor: insert user"),
  lookupHit: op("user: lookup userName, hit (okta)", "floor: user by userName (hit)", true),
  get: op("user: get by id", "floor: user by id", true),
  put: op("user: put profile (okta)", "floor: update user", false, READ_UPDATE_USER),
  deactivate: op("user: deactivate (okta)", "floor: update user", false, READ_UPDATE_USER),
  reactivate: op("user: reactivate (okta)", "floor: update user", false, READ_UPDATE_USER),
  password: op("user: password sync (okta)", "floor: update user", false, READ_UPDATE_USER),
  entraAttributes: op("user: patch attributes (entra)", "floor: update user", false, READ_UPDATE_USER),
  entraActive: op("user: active False/True (entra)", "floor: update user", false, READ_UPDATE_USER),
  count: op("users: count, unfiltered", "floor: read user count", true),
  // A User response carries its `groups`, so a page's floor is the page with each user's group ids;
  // with excludedAttributes=groups it is the bare page.
  firstPage: op("users: first page", "floor: first 100 users with their group ids", true, "floor: first 100 users with their group ids, then the names"),
  lastPage: op("users: last page", "floor: last 100 users with their group ids", true, "floor: last 100 users with their group ids, then the names"),
  firstPageBare: op("users: first page, excludedAttributes=groups", "floor: first 100 users", true),
  lastPageBare: op("users: last page, excludedAttributes=groups", "floor: last 100 users", true),
  walkPage: op("users: import walk, every page", "floor: first 100 users with their group ids", false, "floor: first 100 users with their group ids, then the names"),
  groupLookupMiss: op("group: lookup displayName, miss (okta)", "floor: group by displayName (miss)", true),
  groupCreate: op("group: create (okta)", "floor: insert group"),
  groupAddTen: op("group: add 10 members (okta, new group)", null),
  oktaRemove: op("group: remove 1 member (okta, big group)", "floor: delete member", true),
  oktaAdd: op("group: add 1 member (okta, big group)", "floor: insert member", true),
  entraRemove: op("group: remove 1 member (entra, big group)", "floor: delete member", true),
  entraAdd: op("group: add 1 member (entra, big group)", "floor: insert member", true),
  rename: op("group: rename (okta, big group)", "floor: update group", true, "floor: read, then update group"),
  groupGet: op("group: get without members (big group)", "floor: group by id", true),
  deleteUser: op("user: delete", "floor: delete user"),
  deleteGroup: op("group: delete", "floor: delete group"),
} as const satisfies Record<string, OpInfo>;

export const OP_LIST: readonly OpInfo[] = Object.values(OPS);

/**
 * "Within a small constant of the floor", as this bench reads it: at most 4 times the floor's rows plus 10.
 * Additive slack covers the few fixed reads a request adds (the tenant's count row, the names of the groups
 * a response lists, the position tree); the factor covers a lookup's own small fixed work (a user's group
 * seek beside its one row), which never grows with the tenant.
 */
export function withinFloor(rows: number, floorRows: number): boolean {
  return rows <= 4 * floorRows + 10;
}
export const WITHIN_FLOOR_RULE = "rows read <= 4 x floor + 10";
