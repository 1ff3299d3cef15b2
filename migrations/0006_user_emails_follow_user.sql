-- Hand-written. A deleted user's email rows go in the statement that deletes the user. DELETE /Users/{id} is
-- one batch that reads nothing before it (src/storage/repos/users.ts), and email rows are keyed by the user's
-- seq, which only the row being deleted knows: a separate statement would have to look it up again (2 more rows
-- read per delete, measured), the trigger reads OLD.seq.
CREATE TRIGGER `users_delete_emails` AFTER DELETE ON `users` BEGIN
  DELETE FROM `user_emails` WHERE `tenant_id` = OLD.`tenant_id` AND `user_seq` = OLD.`seq`;
END;
