CREATE TABLE `webhook_deliveries` (
	`endpoint_id` text NOT NULL,
	`slot` integer NOT NULL,
	`seq` integer NOT NULL,
	`attempted_at` text NOT NULL,
	`webhook_id` text NOT NULL,
	`event_type` text NOT NULL,
	`attempt` integer NOT NULL,
	`status` integer,
	`latency_ms` integer NOT NULL,
	`outcome` text NOT NULL,
	`error` text,
	`retry_delay_seconds` integer,
	PRIMARY KEY(`endpoint_id`, `slot`)
);
--> statement-breakpoint
CREATE TABLE `webhook_endpoints` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` integer NOT NULL,
	`url` text NOT NULL,
	`types` text,
	`enabled` integer DEFAULT 1 NOT NULL,
	`failing_since` text,
	`created_at` text NOT NULL,
	`delivery_seq` integer DEFAULT 0 NOT NULL
);
--> statement-breakpoint
CREATE INDEX `webhook_endpoints_tenant` ON `webhook_endpoints` (`tenant_id`);