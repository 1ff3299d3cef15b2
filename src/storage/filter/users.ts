// How /Users filters map onto the users table: indexed columns first, emails via user_emails.
import { sql, type SQL } from "drizzle-orm";
import type { ResolvedFilter } from "../../scim/filter/resolve.ts";
import { compileListFilter, unionOf, type FilterTarget } from "./compile.ts";
import { userEmails, users } from "../schema.ts";

/** Attributes a /Users filter can narrow by through an index (for error details). */
export const USER_INDEXED_ATTRIBUTES = "id, userName, externalId, displayName, emails.value, active, meta.created, meta.lastModified";
/** Keys an identity provider looks a user up by (isKeyLookup), each through its own index. */
export const USER_LOOKUP_KEYS = ["id", "userName", "externalId"] as const;

export function userFilterSql(filter: ResolvedFilter, tenantId: number): { where: SQL; indexed: boolean; candidates?: SQL[] } {
  const target = userTarget(tenantId);
  return compileListFilter(filter, target);
}

function userTarget(tenantId: number): FilterTarget {
  return {
    data: sql`coalesce(${users.foldedData}, ${users.data})`,
    foldedPending: sql`(${users.foldedData} IS NULL)`,
    anyOf: (branches) => {
      const union = unionOf(branches.map((branch) => sql`SELECT ${users.seq} FROM ${users} WHERE ${users.tenantId} = ${tenantId} AND ${branch}`));
      return union && sql`${users.seq} IN (${union})`;
    },
    columns: {
      id: { expr: sql`${users.id}`, indexed: true },
      externalId: { expr: sql`${users.externalId}`, indexed: true },
      userName: { expr: sql`${users.userNameKey}`, folded: true, indexed: true },
      displayName: { expr: sql`${users.displayNameKey}`, folded: true, indexed: true },
      active: { expr: sql`${users.active}`, indexed: true },
      "meta.created": { expr: sql`${users.createdAt}`, isoTime: true, indexed: true },
      "meta.lastModified": { expr: sql`${users.updatedAt}`, isoTime: true, indexed: true },
      "meta.resourceType": { expr: sql`'User'` },
      "meta.version": { expr: sql`('W/"' || ${users.version} || '"')` },
    },
    children: {
      emails: {
        columns: {
          value: { expr: sql`${userEmails.valueKey}`, folded: true, indexed: true },
          type: { expr: sql`${userEmails.type}`, foldedSince0005: true },
          primary: { expr: sql`${userEmails.primary}` },
        },
        anyRow: (condition) =>
          sql`${users.seq} IN (SELECT ${userEmails.userSeq} FROM ${userEmails} WHERE ${userEmails.tenantId} = ${tenantId} AND ${condition})`,
      },
    },
  };
}
