-- migrate:no-transaction
-- Up Migration
-- Issue 18, second half of 0015: validate its constraints (a scan under SHARE UPDATE EXCLUSIVE, reads and writes
-- go on) and build its indexes without blocking writes. Re-runnable: a failed CONCURRENTLY build leaves an
-- INVALID index behind, dropped first.

-- Each in a transaction of its own (validating a valid constraint again is a no-op, so the file stays re-runnable).
BEGIN;
ALTER TABLE messages VALIDATE CONSTRAINT messages_action_needs_for_action;
COMMIT;
BEGIN;
ALTER TABLE messages VALIDATE CONSTRAINT messages_original_message_ref;
COMMIT;

-- Statistics' "messages requiring action": the pending actions of one e-Box, listed ones only (not expired),
-- per partition, index-only. Few messages ask for an action: the partial index stays small.
DROP INDEX CONCURRENTLY IF EXISTS messages_action_pending;
CREATE INDEX CONCURRENTLY IF NOT EXISTS messages_action_pending ON messages (recipient_type, recipient_id, expires_at)
  INCLUDE (partition_id) WHERE for_action AND action_executed_at IS NULL;

-- The foreign key's lookups when a message is deleted (ON DELETE SET NULL), instead of a scan of messages.
DROP INDEX CONCURRENTLY IF EXISTS messages_by_original;
CREATE INDEX CONCURRENTLY IF NOT EXISTS messages_by_original ON messages (original_message_ref)
  WHERE original_message_ref IS NOT NULL;

-- Down Migration
DROP INDEX CONCURRENTLY IF EXISTS messages_by_original;
DROP INDEX CONCURRENTLY IF EXISTS messages_action_pending;
