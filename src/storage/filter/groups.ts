// How /Groups filters map onto the groups table: indexed columns first, members via group_members (members
// are never in the resource JSON, so every members path must map here or the filter would match nothing).
import { sql, type SQL } from "drizzle-orm";
import { alias } from "drizzle-orm/sqlite-core";
import type { ResolvedFilter } from "../../scim/filter/resolve.ts";
import { compileListFilter, unionOf, type FilterTarget } from "./compile.ts";
import { groupMembers, groups, users } from "../schema.ts";

/** Attributes a /Groups filter can narrow by through an index (for error details). */
export const GROUP_INDEXED_ATTRIBUTES = "id, displayName, externalId, members.value, meta.created, meta.lastModified";

const MEMBER = "filter_member";
const MEMBER_USER = "filter_member_user";
const MEMBER_GROUP = "filter_member_group";

/** `baseUrl` is the tenant's SCIM base URL, from which meta.location and members.$ref are built. */
export function groupFilterSql(filter: ResolvedFilter, tenantId: number, baseUrl: string): { where: SQL; indexed: boolean; candidates?: SQL[] } {
  // The member rows and the users and groups they name, as aliases of the schema's tables: columns are named
  // through the schema, so the type checker sees them (`${member.memberId}` is "filter_member"."member_id").
  // In a sql`` template an alias renders as its bare name, so FROM clauses name the table and the alias.
  const member = alias(groupMembers, MEMBER);
  const memberUser = alias(users, MEMBER_USER);
  const memberGroup = alias(groups, MEMBER_GROUP);
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
          // group_members_by_member (tenant_id, member_id, group_id).
          value: { expr: sql`${member.memberId}`, indexed: true },
          // "User" or "Group": ASCII, so lower() is its full fold and the literal is folded to match.
          type: { expr: sql`lower(${member.memberType})`, folded: true },
          $ref: {
            expr: sql`(${baseUrl} || CASE ${member.memberType} WHEN 'User' THEN '/Users/' ELSE '/Groups/' END || ${member.memberId})`,
          },
          // What a GET shows as display (repos/group-members.ts), folded: each key column is foldKey() of its
          // name and null exactly when the name is, so the coalesce picks the same name.
          display: {
            expr: sql`coalesce(${memberUser.displayNameKey}, ${memberUser.userNameKey}, ${memberGroup.displayNameKey})`,
            folded: true,
          },
        },
        anyRow: (condition) => sql`${groups.id} IN (
          SELECT ${member.groupId} FROM ${groupMembers} AS ${sql.identifier(MEMBER)}
          LEFT JOIN ${users} AS ${sql.identifier(MEMBER_USER)}
            ON ${member.memberType} = 'User' AND ${memberUser.tenantId} = ${member.tenantId} AND ${memberUser.id} = ${member.memberId}
          LEFT JOIN ${groups} AS ${sql.identifier(MEMBER_GROUP)}
            ON ${member.memberType} = 'Group' AND ${memberGroup.tenantId} = ${member.tenantId} AND ${memberGroup.id} = ${member.memberId}
          WHERE ${member.tenantId} = ${tenantId} AND ${condition})`,
      },
    },
  };
  return compileListFilter(filter, target);
}
