-- Up Migration
-- Issue 18: message actions and the reply link of publication (docs/contract-decisions.md "Message actions",
-- "originalMessageId"). Expand only: nullable columns and one constant default (no table rewrite on PostgreSQL
-- 11+); the constraints are added NOT VALID (no scan under the lock) and validated by 0016, which also builds the
-- indexes CONCURRENTLY. Code of the previous release never reads or writes these columns.

-- The message asks for an action (standardized business data FOR_ACTION = true), its due date
-- (FOR_ACTION_DUE_DATE) and when a consumer first marked it executed (PATCH …/messageAction).
ALTER TABLE messages ADD COLUMN for_action boolean NOT NULL DEFAULT false;
ALTER TABLE messages ADD COLUMN action_due_date date;
ALTER TABLE messages ADD COLUMN action_executed_at timestamptz;

-- originalMessageId as the sender gave it, and the message it names when that one is in the same recipient
-- e-Box (a link across e-Boxes would tell a sender what another e-Box holds). Deleting the original keeps the
-- given id and drops the link.
ALTER TABLE messages ADD COLUMN original_message_id text;
ALTER TABLE messages ADD COLUMN original_message_ref uuid;

ALTER TABLE messages ADD CONSTRAINT messages_action_needs_for_action
  CHECK (for_action OR (action_due_date IS NULL AND action_executed_at IS NULL)) NOT VALID;
ALTER TABLE messages ADD CONSTRAINT messages_original_message_ref
  FOREIGN KEY (original_message_ref) REFERENCES messages (message_id) ON DELETE SET NULL NOT VALID;

-- Down Migration
ALTER TABLE messages DROP CONSTRAINT messages_original_message_ref;
ALTER TABLE messages DROP CONSTRAINT messages_action_needs_for_action;
ALTER TABLE messages DROP COLUMN original_message_ref;
ALTER TABLE messages DROP COLUMN original_message_id;
ALTER TABLE messages DROP COLUMN action_executed_at;
ALTER TABLE messages DROP COLUMN action_due_date;
ALTER TABLE messages DROP COLUMN for_action;
