// How /Users filters map onto the users table: indexed columns first, emails via user_emails.
import { sql, type SQL } from "drizzle-orm";
import type { ResolvedFilter } from "../scim/filter/resolve.ts";
import { compileFilter, type FilterTarget } from "./filter-sql.ts";
import { userEmails, users } from "./schema.ts";

export function userFilterSql(filter: ResolvedFilter, tenantId: number): SQL {
  const target: FilterTarget = {
    data: sql`${users.data}`,
    columns: {
      id: { expr: sql`${users.id}` },
      externalId: { expr: sql`${users.externalId}` },
      userName: { expr: sql`${users.userNameKey}`, folded: true },
      active: { expr: sql`${users.active}` },
      "meta.created": { expr: sql`${users.createdAt}`, isoTime: true },
      "meta.lastModified": { expr: sql`${users.updatedAt}`, isoTime: true },
      "meta.resourceType": { expr: sql`'User'` },
      "meta.version": { expr: sql`('W/"' || ${users.version} || '"')` },
    },
    children: {
      emails: {
        columns: {
          value: { expr: sql`${userEmails.valueKey}`, folded: true },
          type: { expr: sql`${userEmails.type}` },
          primary: { expr: sql`${userEmails.primary}` },
        },
        anyRow: (condition) =>
          sql`${users.seq} IN (SELECT ${userEmails.userSeq} FROM ${userEmails} WHERE ${userEmails.tenantId} = ${tenantId} AND ${condition})`,
      },
    },
  };
  return compileFilter(filter, target);
}
