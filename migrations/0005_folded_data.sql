-- Hand-written comment (the statements are drizzle-kit's). folded_data is the resource JSON with every
-- case-insensitive string folded (src/scim/folded-document.ts, Unicode: "ÉMILE" -> "émile", "Straße" ->
-- "strasse"), which filters on attributes without a column of their own read. The fold is TypeScript, so this
-- migration cannot fill it: existing rows stay NULL, and the every-10-minutes Cron run (src/scheduled.ts)
-- backfills them in bounded batches, found through the *_folded_pending partial indexes (which hold only
-- rows still NULL, so writes that set folded_data never touch them). Until a row is backfilled, filters
-- compare it as before (SQLite lower(), ASCII only): an operator with existing data sees non-ASCII
-- case-insensitive matches appear as the backfill passes (README, "Upgrading a deployment that has data").
ALTER TABLE `groups` ADD `folded_data` text;--> statement-breakpoint
CREATE INDEX `groups_folded_pending` ON `groups` (`seq`) WHERE "groups"."folded_data" IS NULL;--> statement-breakpoint
ALTER TABLE `users` ADD `folded_data` text;--> statement-breakpoint
CREATE INDEX `users_folded_pending` ON `users` (`seq`) WHERE "users"."folded_data" IS NULL;
