CREATE TABLE `position_tree` (
	`tenant_id` integer NOT NULL,
	`kind` integer NOT NULL,
	`level` integer NOT NULL,
	`bucket` integer NOT NULL,
	`deleted` integer NOT NULL,
	PRIMARY KEY(`tenant_id`, `kind`, `level`, `bucket`)
);
--> statement-breakpoint
DROP INDEX `users_tenant_display_name`;--> statement-breakpoint
ALTER TABLE `users` ADD `display_name_key` text;--> statement-breakpoint
ALTER TABLE `users` ADD `ordinal` integer;--> statement-breakpoint
CREATE UNIQUE INDEX `users_tenant_ordinal` ON `users` (`tenant_id`,`ordinal`);--> statement-breakpoint
CREATE INDEX `users_tenant_display_name` ON `users` (`tenant_id`,`display_name_key`);--> statement-breakpoint
ALTER TABLE `groups` ADD `ordinal` integer;--> statement-breakpoint
CREATE UNIQUE INDEX `groups_tenant_ordinal` ON `groups` (`tenant_id`,`ordinal`);--> statement-breakpoint
ALTER TABLE `tenants` ADD `user_ordinal_next` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `tenants` ADD `group_ordinal_next` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
-- Hand-written below (drizzle-kit does not model triggers or backfills). Rows that exist already get their
-- ordinals in seq order, and the tenants' counters continue after them. display_name_key is backfilled
-- with SQLite's lower(), which folds ASCII only; the repository rewrites it with the full Unicode fold on
-- the user's next write.
UPDATE `users` SET `ordinal` = `ranked`.`o`, `display_name_key` = lower(`users`.`display_name`)
  FROM (SELECT `seq`, row_number() OVER (PARTITION BY `tenant_id` ORDER BY `seq`) - 1 AS `o` FROM `users`) AS `ranked`
  WHERE `users`.`seq` = `ranked`.`seq`;--> statement-breakpoint
UPDATE `groups` SET `ordinal` = `ranked`.`o`
  FROM (SELECT `seq`, row_number() OVER (PARTITION BY `tenant_id` ORDER BY `seq`) - 1 AS `o` FROM `groups`) AS `ranked`
  WHERE `groups`.`seq` = `ranked`.`seq`;--> statement-breakpoint
UPDATE `tenants` SET
  `user_ordinal_next` = (SELECT count(*) FROM `users` WHERE `users`.`tenant_id` = `tenants`.`id`),
  `group_ordinal_next` = (SELECT count(*) FROM `groups` WHERE `groups`.`tenant_id` = `tenants`.`id`);--> statement-breakpoint
-- The repositories set `ordinal` (and `display_name_key`) in the INSERT itself. These triggers cover every
-- other writer (seeding scripts, the bench, an operator's SQL), so list positions stay exact whoever
-- inserts: a row without an ordinal would be invisible to startIndex paging.
CREATE TRIGGER `users_assign_ordinal` AFTER INSERT ON `users` WHEN NEW.`ordinal` IS NULL BEGIN
  UPDATE `users` SET `ordinal` = (SELECT `user_ordinal_next` FROM `tenants` WHERE `id` = NEW.`tenant_id`) WHERE `seq` = NEW.`seq`;
  UPDATE `tenants` SET `user_ordinal_next` = `user_ordinal_next` + 1 WHERE `id` = NEW.`tenant_id`;
END;--> statement-breakpoint
CREATE TRIGGER `users_fold_display_name` AFTER INSERT ON `users` WHEN NEW.`display_name_key` IS NULL AND NEW.`display_name` IS NOT NULL BEGIN
  UPDATE `users` SET `display_name_key` = lower(NEW.`display_name`) WHERE `seq` = NEW.`seq`;
END;--> statement-breakpoint
CREATE TRIGGER `groups_assign_ordinal` AFTER INSERT ON `groups` WHEN NEW.`ordinal` IS NULL BEGIN
  UPDATE `groups` SET `ordinal` = (SELECT `group_ordinal_next` FROM `tenants` WHERE `id` = NEW.`tenant_id`) WHERE `seq` = NEW.`seq`;
  UPDATE `tenants` SET `group_ordinal_next` = `group_ordinal_next` + 1 WHERE `id` = NEW.`tenant_id`;
END;--> statement-breakpoint
-- Every delete, by any path, is counted in position_tree in the same statement (so in the same batch).
-- Levels 1..6 of 32^level ordinals each: see src/storage/position-tree.ts.
CREATE TRIGGER `users_count_deletion` AFTER DELETE ON `users` WHEN OLD.`ordinal` IS NOT NULL BEGIN
  INSERT INTO `position_tree` (`tenant_id`, `kind`, `level`, `bucket`, `deleted`)
    SELECT OLD.`tenant_id`, 0, `value`, OLD.`ordinal` >> (5 * `value`), 1 FROM json_each('[1,2,3,4,5,6]') WHERE true
    ON CONFLICT DO UPDATE SET `deleted` = `deleted` + 1;
END;--> statement-breakpoint
CREATE TRIGGER `groups_count_deletion` AFTER DELETE ON `groups` WHEN OLD.`ordinal` IS NOT NULL BEGIN
  INSERT INTO `position_tree` (`tenant_id`, `kind`, `level`, `bucket`, `deleted`)
    SELECT OLD.`tenant_id`, 1, `value`, OLD.`ordinal` >> (5 * `value`), 1 FROM json_each('[1,2,3,4,5,6]') WHERE true
    ON CONFLICT DO UPDATE SET `deleted` = `deleted` + 1;
END;
