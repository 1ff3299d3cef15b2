CREATE TABLE `group_members` (
	`tenant_id` integer NOT NULL,
	`group_id` text NOT NULL,
	`member_id` text NOT NULL,
	`member_type` text NOT NULL,
	PRIMARY KEY(`tenant_id`, `group_id`, `member_id`)
);
--> statement-breakpoint
CREATE INDEX `group_members_member` ON `group_members` (`tenant_id`,`member_id`);--> statement-breakpoint
CREATE TABLE `groups` (
	`seq` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`tenant_id` integer NOT NULL,
	`id` text NOT NULL,
	`display_name` text NOT NULL,
	`display_name_key` text NOT NULL,
	`external_id` text,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL,
	`version` integer DEFAULT 1 NOT NULL,
	`member_count` integer DEFAULT 0 NOT NULL,
	`data` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `groups_tenant_seq` ON `groups` (`tenant_id`,`seq`);--> statement-breakpoint
CREATE UNIQUE INDEX `groups_tenant_id` ON `groups` (`tenant_id`,`id`);--> statement-breakpoint
CREATE UNIQUE INDEX `groups_tenant_display_name` ON `groups` (`tenant_id`,`display_name_key`);--> statement-breakpoint
CREATE INDEX `groups_tenant_external_id` ON `groups` (`tenant_id`,`external_id`);--> statement-breakpoint
CREATE INDEX `groups_tenant_created` ON `groups` (`tenant_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `groups_tenant_updated` ON `groups` (`tenant_id`,`updated_at`);--> statement-breakpoint
CREATE TABLE `tenants` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`slug` text NOT NULL,
	`region` text NOT NULL,
	`default_organization` text,
	`status` text DEFAULT 'active' NOT NULL,
	`created_at` text NOT NULL,
	`user_count` integer DEFAULT 0 NOT NULL,
	`group_count` integer DEFAULT 0 NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `tenants_slug_unique` ON `tenants` (`slug`);--> statement-breakpoint
CREATE TABLE `user_emails` (
	`tenant_id` integer NOT NULL,
	`user_seq` integer NOT NULL,
	`value_key` text NOT NULL,
	`type` text,
	`is_primary` integer
);
--> statement-breakpoint
CREATE INDEX `user_emails_tenant_value` ON `user_emails` (`tenant_id`,`value_key`);--> statement-breakpoint
CREATE INDEX `user_emails_user` ON `user_emails` (`tenant_id`,`user_seq`);--> statement-breakpoint
CREATE TABLE `users` (
	`seq` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`tenant_id` integer NOT NULL,
	`id` text NOT NULL,
	`user_name` text NOT NULL,
	`user_name_key` text NOT NULL,
	`external_id` text,
	`display_name` text,
	`active` integer DEFAULT true NOT NULL,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL,
	`version` integer DEFAULT 1 NOT NULL,
	`password_hash` text,
	`data` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `users_tenant_seq` ON `users` (`tenant_id`,`seq`);--> statement-breakpoint
CREATE UNIQUE INDEX `users_tenant_id` ON `users` (`tenant_id`,`id`);--> statement-breakpoint
CREATE UNIQUE INDEX `users_tenant_user_name` ON `users` (`tenant_id`,`user_name_key`);--> statement-breakpoint
CREATE INDEX `users_tenant_external_id` ON `users` (`tenant_id`,`external_id`);--> statement-breakpoint
CREATE INDEX `users_tenant_display_name` ON `users` (`tenant_id`,`display_name`);--> statement-breakpoint
CREATE INDEX `users_tenant_active` ON `users` (`tenant_id`,`active`,`seq`);--> statement-breakpoint
CREATE INDEX `users_tenant_created` ON `users` (`tenant_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `users_tenant_updated` ON `users` (`tenant_id`,`updated_at`);--> statement-breakpoint
CREATE TABLE `write_guard` (
	`must_change` integer NOT NULL
);
