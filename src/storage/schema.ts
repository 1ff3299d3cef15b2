// D1 schema. Every row carries its tenant; every unique or filtered attribute has a column, and the
// full resource JSON sits beside the columns so unindexed attributes round-trip losslessly.
import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

export const tenants = sqliteTable("tenants", {
  id: integer("id").primaryKey({ autoIncrement: true }),
  slug: text("slug").notNull().unique(),
  region: text("region").notNull(),
  defaultOrganization: text("default_organization"),
  status: text("status", { enum: ["active", "suspended"] }).notNull().default("active"),
  createdAt: text("created_at").notNull(),
  // Maintained in the same batch as every create/delete so an unfiltered totalResults costs one row.
  userCount: integer("user_count").notNull().default(0),
  groupCount: integer("group_count").notNull().default(0),
});

export const users = sqliteTable(
  "users",
  {
    // Monotonic row number: the stable order for paging.
    seq: integer("seq").primaryKey({ autoIncrement: true }),
    tenantId: integer("tenant_id").notNull(),
    id: text("id").notNull(),
    userName: text("user_name").notNull(),
    // NFC + Unicode case fold of userName; SQLite NOCASE folds ASCII only.
    userNameKey: text("user_name_key").notNull(),
    externalId: text("external_id"),
    displayName: text("display_name"),
    active: integer("active", { mode: "boolean" }).notNull().default(true),
    createdAt: text("created_at").notNull(),
    updatedAt: text("updated_at").notNull(),
    version: integer("version").notNull().default(1),
    passwordHash: text("password_hash"),
    data: text("data").notNull(),
  },
  (t) => [
    // (tenant_id, seq): list pages walk the tenant in seq order without sorting.
    index("users_tenant_seq").on(t.tenantId, t.seq),
    uniqueIndex("users_tenant_id").on(t.tenantId, t.id),
    uniqueIndex("users_tenant_user_name").on(t.tenantId, t.userNameKey),
    index("users_tenant_external_id").on(t.tenantId, t.externalId),
    index("users_tenant_display_name").on(t.tenantId, t.displayName),
    index("users_tenant_active").on(t.tenantId, t.active, t.seq),
    index("users_tenant_created").on(t.tenantId, t.createdAt),
    index("users_tenant_updated").on(t.tenantId, t.updatedAt),
  ],
);

export const userEmails = sqliteTable(
  "user_emails",
  {
    tenantId: integer("tenant_id").notNull(),
    userSeq: integer("user_seq").notNull(),
    // Lower-cased: emails compare case-insensitively.
    valueKey: text("value_key").notNull(),
    type: text("type"),
    // Null when the client did not say: `emails.primary pr` must not match an unset flag.
    primary: integer("is_primary", { mode: "boolean" }),
  },
  (t) => [
    index("user_emails_tenant_value").on(t.tenantId, t.valueKey),
    index("user_emails_user").on(t.tenantId, t.userSeq),
  ],
);

export const groups = sqliteTable(
  "groups",
  {
    seq: integer("seq").primaryKey({ autoIncrement: true }),
    tenantId: integer("tenant_id").notNull(),
    id: text("id").notNull(),
    displayName: text("display_name").notNull(),
    displayNameKey: text("display_name_key").notNull(),
    externalId: text("external_id"),
    createdAt: text("created_at").notNull(),
    updatedAt: text("updated_at").notNull(),
    version: integer("version").notNull().default(1),
    memberCount: integer("member_count").notNull().default(0),
    data: text("data").notNull(),
  },
  (t) => [
    index("groups_tenant_seq").on(t.tenantId, t.seq),
    uniqueIndex("groups_tenant_id").on(t.tenantId, t.id),
    uniqueIndex("groups_tenant_display_name").on(t.tenantId, t.displayNameKey),
    index("groups_tenant_external_id").on(t.tenantId, t.externalId),
    index("groups_tenant_created").on(t.tenantId, t.createdAt),
    index("groups_tenant_updated").on(t.tenantId, t.updatedAt),
  ],
);

// One row per (tenant, group, member): membership changes touch only the rows they change.
export const groupMembers = sqliteTable(
  "group_members",
  {
    tenantId: integer("tenant_id").notNull(),
    groupId: text("group_id").notNull(),
    memberId: text("member_id").notNull(),
    memberType: text("member_type", { enum: ["User", "Group"] }).notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.groupId, t.memberId] }),
    index("group_members_member").on(t.tenantId, t.memberId),
  ],
);


// Never holds a row. A batch inserts NULL here when the previous statement changed nothing
// (`... WHERE changes() = 0`), which fails NOT NULL and so rolls the whole batch back: D1 has no
// interactive transactions, and this is how a batch says "only if that write happened".
export const writeGuard = sqliteTable("write_guard", {
  mustChange: integer("must_change").notNull(),
});
