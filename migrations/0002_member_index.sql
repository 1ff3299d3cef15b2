DROP INDEX `group_members_member`;--> statement-breakpoint
CREATE INDEX `group_members_by_member` ON `group_members` (`tenant_id`,`member_id`,`group_id`);