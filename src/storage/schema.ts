// D1 schema. Every row carries its tenant; every unique or filtered attribute has a column, and the
// full resource JSON sits beside the columns so unindexed attributes round-trip losslessly.
import { sql } from "drizzle-orm";
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
  // The ordinal the next user/group of the tenant gets (see `ordinal` below). Never decreases.
  userOrdinalNext: integer("user_ordinal_next").notNull().default(0),
  groupOrdinalNext: integer("group_ordinal_next").notNull().default(0),
  // The id the tenant's next event gets (src/storage/events.ts): bumped in the batch that writes the event,
  // so ids are gapless and in commit order. The head cursor is event_next - 1.
  eventNext: integer("event_next").notNull().default(1),
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
    // NFC + Unicode case fold of displayName: filters and sortBy on it are case-insensitive (RFC 7643 §4.1.1).
    displayNameKey: text("display_name_key"),
    // Per-tenant creation number, 0, 1, 2, ... in seq order; never reused. With the deletions counted in
    // position_tree it maps a list position (startIndex) to a row without scanning (src/storage/position-tree.ts).
    // Nullable only so that a raw INSERT can leave it to the users_assign_ordinal trigger (migration 0001).
    ordinal: integer("ordinal"),
    // `data` with every case-insensitive string folded (src/scim/folded-document.ts): what filters on attributes
    // without a column of their own read. Null for rows written before migration 0005 or by raw SQL until the
    // scheduled backfill (src/storage/repos/folded-backfill.ts) writes it; filters read `data` for those.
    foldedData: text("folded_data"),
  },
  (t) => [
    // (tenant_id, seq): list pages walk the tenant in seq order without sorting.
    index("users_tenant_seq").on(t.tenantId, t.seq),
    uniqueIndex("users_tenant_id").on(t.tenantId, t.id),
    uniqueIndex("users_tenant_user_name").on(t.tenantId, t.userNameKey),
    index("users_tenant_external_id").on(t.tenantId, t.externalId),
    index("users_tenant_display_name").on(t.tenantId, t.displayNameKey),
    uniqueIndex("users_tenant_ordinal").on(t.tenantId, t.ordinal),
    index("users_tenant_active").on(t.tenantId, t.active, t.seq),
    index("users_tenant_created").on(t.tenantId, t.createdAt),
    index("users_tenant_updated").on(t.tenantId, t.updatedAt),
    // Only rows still to backfill: the backfill finds them without a scan, and writes that set folded_data
    // never touch it.
    index("users_folded_pending").on(t.seq).where(sql`${t.foldedData} IS NULL`),
  ],
);

export const userEmails = sqliteTable(
  "user_emails",
  {
    tenantId: integer("tenant_id").notNull(),
    userSeq: integer("user_seq").notNull(),
    // Lower-cased: emails compare case-insensitively.
    valueKey: text("value_key").notNull(),
    // foldKey() of the type since migration 0005 (filters compare it case-insensitively); as sent on older rows
    // until the folded_data backfill reaches their user.
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
    // As users.ordinal.
    ordinal: integer("ordinal"),
    // As users.folded_data.
    foldedData: text("folded_data"),
  },
  (t) => [
    index("groups_tenant_seq").on(t.tenantId, t.seq),
    uniqueIndex("groups_tenant_ordinal").on(t.tenantId, t.ordinal),
    uniqueIndex("groups_tenant_id").on(t.tenantId, t.id),
    uniqueIndex("groups_tenant_display_name").on(t.tenantId, t.displayNameKey),
    index("groups_tenant_external_id").on(t.tenantId, t.externalId),
    index("groups_tenant_created").on(t.tenantId, t.createdAt),
    index("groups_tenant_updated").on(t.tenantId, t.updatedAt),
    index("groups_folded_pending").on(t.seq).where(sql`${t.foldedData} IS NULL`),
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
    // Covering (group_id included): a user's groups are read from this index alone. Without it SQLite
    // preferred the primary key's tenant_id prefix and read every membership of the tenant per user read.
    index("group_members_by_member").on(t.tenantId, t.memberId, t.groupId),
  ],
);


// Deletions counted per block of ordinals, at 6 block sizes (32, 32^2, ... 32^6): node (level, bucket) says
// how many of ordinals [bucket * 32^level, (bucket + 1) * 32^level) of the tenant's users (kind 0) or groups
// (kind 1) were deleted. Maintained by the AFTER DELETE triggers of migration 0001, so every delete path
// (API, scripts, the bench) keeps it exact. Only blocks with deletions have a row.
// drizzle-kit does not model triggers: a future migration that rebuilds `users` or `groups` (drizzle-kit's
// "__new_" table copy) drops their triggers and must create them again, as 0001 does.
export const positionTree = sqliteTable(
  "position_tree",
  {
    tenantId: integer("tenant_id").notNull(),
    kind: integer("kind").notNull(),
    level: integer("level").notNull(),
    bucket: integer("bucket").notNull(),
    deleted: integer("deleted").notNull(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.kind, t.level, t.bucket] })],
);

// Never holds a row. A batch inserts NULL here when the previous statement changed nothing
// (`... WHERE changes() = 0`), which fails NOT NULL and so rolls the whole batch back: D1 has no
// interactive transactions, and this is how a batch says "only if that write happened".
export const writeGuard = sqliteTable("write_guard", {
  mustChange: integer("must_change").notNull(),
});

// The transactional outbox: every committed change writes its events in the same D1 batch
// (src/storage/events.ts). `body` is the event's JSON without `id`, which is `event_id` (per tenant, gapless).
export const events = sqliteTable(
  "events",
  {
    // The rowid (no AUTOINCREMENT, which would write sqlite_sequence per insert): global commit order, so the
    // retention prune walks the oldest events first without an index of its own.
    pos: integer("pos").primaryKey(),
    tenantId: integer("tenant_id").notNull(),
    eventId: integer("event_id").notNull(),
    createdAt: text("created_at").notNull(),
    type: text("type").notNull(),
    body: text("body").notNull(),
    // Null until the event is handed to the webhook queue (issue 14). The partial index holds only events not
    // yet enqueued, so a sweep finds them with one short index walk however large the table.
    enqueuedAt: text("enqueued_at"),
  },
  (t) => [
    // (tenant_id, event_id): a page of the events API is one index seek and `limit` rows at any depth.
    uniqueIndex("events_tenant_event").on(t.tenantId, t.eventId),
    index("events_not_enqueued").on(t.pos).where(sql`${t.enqueuedAt} IS NULL`),
  ],
);
