CREATE TABLE `events` (
	`pos` integer PRIMARY KEY NOT NULL,
	`tenant_id` integer NOT NULL,
	`event_id` integer NOT NULL,
	`created_at` text NOT NULL,
	`type` text NOT NULL,
	`body` text NOT NULL,
	`enqueued_at` text
);
--> statement-breakpoint
CREATE UNIQUE INDEX `events_tenant_event` ON `events` (`tenant_id`,`event_id`);--> statement-breakpoint
CREATE INDEX `events_not_enqueued` ON `events` (`pos`) WHERE "events"."enqueued_at" IS NULL;--> statement-breakpoint
ALTER TABLE `tenants` ADD `event_next` integer DEFAULT 1 NOT NULL;