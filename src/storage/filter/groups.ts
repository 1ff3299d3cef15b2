// How /Groups filters map onto the groups table: indexed columns first, members via group_members (members
// are never in the resource JSON, so every members path must map here or the filter would match nothing).
import { sql, type SQL } from "drizzle-orm";
import type { ResolvedFilter } from "../../scim/filter/resolve.ts";
import { compileListFilter, unionOf, type FilterTarget } from "./compile.ts";
import { groupMembers, groups, users } from "../schema.ts";

/** Attributes a /Groups filter can narrow by through an index (for error details). */
export const GROUP_INDEXED_ATTRIBUTES = "id, displayName, externalId, members.value, meta.created, meta.lastModified";

/** `baseUrl` is the tenant's SCIM base URL, from which meta.location and members.$ref are built. */
export function groupFilterSql(filter: ResolvedFilter, tenantId: number, baseUrl: string): { where: SQL; indexed: boolean; candidates?: SQL[] } {
  const member = sql`"filter_member"`;
  const memberUser = sql`"filter_member_user"`;
  const memberGroup = sql`"filter_member_group"`;
  const target: FilterTarget = {
    data: sql`coalesce(${groups.foldedData}, ${groups.data})`,
    foldedPending: sql`(${groups.foldedData} IS NULL)`,
    anyOf: (branches) => {
      const union = unionOf(branches.map((branch) => sql`SELECT ${groups.seq} FROM ${groups} WHERE ${groups.tenantId} = ${tenantId} AND ${branch}`));
      return union && sql`${groups.seq} IN (${union})`;
    },
    columns: {
      id: { expr: sql`${groups.id}`, indexed: true },
      externalId: { expr: sql`${groups.externalId}`, indexed: true },
      displayName: { expr: sql`${groups.displayNameKey}`, folded: true, indexed: true },
      // `members pr`: has at least one member. member_count is kept in step with group_members.
      members: { expr: sql`nullif(${groups.memberCount}, 0)` },
      "meta.created": { expr: sql`${groups.createdAt}`, isoTime: true, indexed: true },
      "meta.lastModified": { expr: sql`${groups.updatedAt}`, isoTime: true, indexed: true },
      "meta.resourceType": { expr: sql`'Group'` },
      "meta.version": { expr: sql`('W/"' || ${groups.version} || '"')` },
      "meta.location": { expr: sql`(${baseUrl} || '/Groups/' || ${groups.id})` },
    },
    children: {
      members: {
        columns: {
          // group_members_member (tenant_id, member_id).
          value: { expr: sql`${member}.member_id`, indexed: true },
          // "User" or "Group": ASCII, so lower() is its full fold and the literal is folded to match.
          type: { expr: sql`lower(${member}.member_type)`, folded: true },
          $ref: {
            expr: sql`(${baseUrl} || CASE ${member}.member_type WHEN 'User' THEN '/Users/' ELSE '/Groups/' END || ${member}.member_id)`,
          },
          // What a GET shows as display (repos/group-members.ts), folded: each key column is foldKey() of its
          // name and null exactly when the name is, so the coalesce picks the same name.
          display: {
            expr: sql`coalesce(${memberUser}.display_name_key, ${memberUser}.user_name_key, ${memberGroup}.display_name_key)`,
            folded: true,
          },
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
  return compileListFilter(filter, target);
}
