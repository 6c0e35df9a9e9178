-- Every secret a roll replaced keeps signing until its own expiry: a list instead of one previous
-- secret, which a second roll used to cut short. A previous secret still in its overlap moves into it.
ALTER TABLE `notification_secrets` ADD `previous_secrets` text DEFAULT '[]' NOT NULL;--> statement-breakpoint
UPDATE `notification_secrets` SET `previous_secrets` = json_array(json_object('secret', `previous_secret`, 'expiresAt', `previous_secret_expires_at`)) WHERE `previous_secret` IS NOT NULL AND `previous_secret_expires_at` IS NOT NULL;--> statement-breakpoint
ALTER TABLE `notification_secrets` DROP COLUMN `previous_secret`;--> statement-breakpoint
ALTER TABLE `notification_secrets` DROP COLUMN `previous_secret_expires_at`;--> statement-breakpoint
ALTER TABLE `webhook_endpoints` ADD `previous_secrets` text DEFAULT '[]' NOT NULL;--> statement-breakpoint
UPDATE `webhook_endpoints` SET `previous_secrets` = json_array(json_object('secret', `previous_secret`, 'expiresAt', `previous_secret_expires_at`)) WHERE `previous_secret` IS NOT NULL AND `previous_secret_expires_at` IS NOT NULL;--> statement-breakpoint
ALTER TABLE `webhook_endpoints` DROP COLUMN `previous_secret`;--> statement-breakpoint
ALTER TABLE `webhook_endpoints` DROP COLUMN `previous_secret_expires_at`;
