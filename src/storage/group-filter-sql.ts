// How /Groups filters map onto the groups table: indexed columns first, members via group_members (members
// are never in the resource JSON, so every members path must map here or the filter would match nothing).
import { sql, type SQL } from "drizzle-orm";
import type { ResolvedFilter } from "../scim/filter/resolve.ts";
import { compileFilter, type FilterTarget } from "./filter-sql.ts";
import { groupMembers, groups, users } from "./schema.ts";

/** `baseUrl` is the tenant's SCIM base URL, from which meta.location and members.$ref are built. */
export function groupFilterSql(filter: ResolvedFilter, tenantId: number, baseUrl: string): SQL {
  const member = sql`"filter_member"`;
  const memberUser = sql`"filter_member_user"`;
  const memberGroup = sql`"filter_member_group"`;
  const target: FilterTarget = {
    data: sql`${groups.data}`,
    columns: {
      id: { expr: sql`${groups.id}` },
      externalId: { expr: sql`${groups.externalId}` },
      displayName: { expr: sql`${groups.displayNameKey}`, folded: true },
      // `members pr`: has at least one member. member_count is kept in step with group_members.
      members: { expr: sql`nullif(${groups.memberCount}, 0)` },
      "meta.created": { expr: sql`${groups.createdAt}`, isoTime: true },
      "meta.lastModified": { expr: sql`${groups.updatedAt}`, isoTime: true },
      "meta.resourceType": { expr: sql`'Group'` },
      "meta.version": { expr: sql`('W/"' || ${groups.version} || '"')` },
      "meta.location": { expr: sql`(${baseUrl} || '/Groups/' || ${groups.id})` },
    },
    children: {
      members: {
        columns: {
          value: { expr: sql`${member}.member_id` },
          type: { expr: sql`${member}.member_type` },
          $ref: {
            expr: sql`(${baseUrl} || CASE ${member}.member_type WHEN 'User' THEN '/Users/' ELSE '/Groups/' END || ${member}.member_id)`,
          },
          display: { expr: sql`coalesce(${memberUser}.display_name, ${memberUser}.user_name, ${memberGroup}.display_name)` },
        },
        anyRow: (condition) => sql`${groups.id} IN (
          SELECT ${member}.group_id FROM ${groupMembers} AS ${member}
          LEFT JOIN ${users} AS ${memberUser}
            ON ${member}.member_type = 'User' AND ${memberUser}.tenant_id = ${member}.tenant_id AND ${memberUser}.id = ${member}.member_id
          LEFT JOIN ${groups} AS ${memberGroup}
            ON ${member}.member_type = 'Group' AND ${memberGroup}.tenant_id = ${member}.tenant_id AND ${memberGroup}.id = ${member}.member_id
          WHERE ${member}.tenant_id = ${tenantId} AND ${condition})`,
      },
    },
  };
  return compileFilter(filter, target);
}
