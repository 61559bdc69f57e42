-- migrate:no-transaction
-- Up Migration
-- Issue 19: the per-e-Box, per-language search keys of 0016, built without blocking writes. A failed concurrent
-- build leaves an INVALID index behind: it is dropped first, so that the file can run again.
DROP INDEX CONCURRENTLY IF EXISTS messages_search_keys;
CREATE INDEX CONCURRENTLY IF NOT EXISTS messages_search_keys ON messages
  USING gin (message_search_keys(recipient_type, recipient_id, search_nl, search_fr, search_de));
