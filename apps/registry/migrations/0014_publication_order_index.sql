-- migrate:no-transaction
-- Up Migration
-- Contract side of 0010, run statement by statement outside a transaction; every step is safe to run again.
-- 1. Number the rows published before 0010, committing every 10,000 rows.
-- Re-runnable although squawk cannot see it: it numbers only rows still unnumbered.
-- squawk-ignore prefer-robust-stmts
CALL number_legacy_publications(10000);
-- 2. NOT NULL proven by a validated CHECK (a scan under SHARE UPDATE EXCLUSIVE: reads and writes go on).
-- Re-runnable although squawk cannot see it: validating a valid constraint is a no-op.
-- squawk-ignore prefer-robust-stmts
ALTER TABLE messages VALIDATE CONSTRAINT messages_publication_seq_set;
-- 3. Every list index keeps the list's order (published_at DESC, publication_seq DESC); message_id rides along so
-- that the page's ids are still read from the index alone. Built CONCURRENTLY under a new name, the old index
-- dropped CONCURRENTLY, then the new one takes the old name (a rename needs only a short lock on the index).
DROP INDEX CONCURRENTLY IF EXISTS messages_by_ebox_ordered;
CREATE INDEX CONCURRENTLY IF NOT EXISTS messages_by_ebox_ordered ON messages (recipient_type, recipient_id, published_at DESC, publication_seq DESC) INCLUDE (expires_at, partition_id, message_id);
DROP INDEX CONCURRENTLY IF EXISTS messages_by_ebox;
ALTER INDEX messages_by_ebox_ordered RENAME TO messages_by_ebox;
DROP INDEX CONCURRENTLY IF EXISTS messages_by_ebox_partition_ordered;
CREATE INDEX CONCURRENTLY IF NOT EXISTS messages_by_ebox_partition_ordered ON messages (recipient_type, recipient_id, partition_id, published_at DESC, publication_seq DESC) INCLUDE (message_id);
DROP INDEX CONCURRENTLY IF EXISTS messages_by_ebox_partition;
ALTER INDEX messages_by_ebox_partition_ordered RENAME TO messages_by_ebox_partition;
DROP INDEX CONCURRENTLY IF EXISTS messages_by_ebox_type_ordered;
CREATE INDEX CONCURRENTLY IF NOT EXISTS messages_by_ebox_type_ordered ON messages (recipient_type, recipient_id, message_type_id, published_at DESC, publication_seq DESC) INCLUDE (message_id);
DROP INDEX CONCURRENTLY IF EXISTS messages_by_ebox_type;
ALTER INDEX messages_by_ebox_type_ordered RENAME TO messages_by_ebox_type;
DROP INDEX CONCURRENTLY IF EXISTS messages_by_ebox_sender_ordered;
CREATE INDEX CONCURRENTLY IF NOT EXISTS messages_by_ebox_sender_ordered ON messages (recipient_type, recipient_id, sender_enterprise_number, published_at DESC, publication_seq DESC) INCLUDE (message_id);
DROP INDEX CONCURRENTLY IF EXISTS messages_by_ebox_sender;
ALTER INDEX messages_by_ebox_sender_ordered RENAME TO messages_by_ebox_sender;
DROP INDEX CONCURRENTLY IF EXISTS messages_by_ebox_application_ordered;
CREATE INDEX CONCURRENTLY IF NOT EXISTS messages_by_ebox_application_ordered ON messages (recipient_type, recipient_id, sender_application_id, published_at DESC, publication_seq DESC) INCLUDE (message_id);
DROP INDEX CONCURRENTLY IF EXISTS messages_by_ebox_application;
ALTER INDEX messages_by_ebox_application_ordered RENAME TO messages_by_ebox_application;
DROP INDEX CONCURRENTLY IF EXISTS messages_by_ebox_unread_ordered;
CREATE INDEX CONCURRENTLY IF NOT EXISTS messages_by_ebox_unread_ordered ON messages (recipient_type, recipient_id, published_at DESC, publication_seq DESC) INCLUDE (message_id) WHERE read_at IS NULL;
DROP INDEX CONCURRENTLY IF EXISTS messages_by_ebox_unread;
ALTER INDEX messages_by_ebox_unread_ordered RENAME TO messages_by_ebox_unread;
DROP INDEX CONCURRENTLY IF EXISTS messages_by_ebox_hidden_ordered;
CREATE INDEX CONCURRENTLY IF NOT EXISTS messages_by_ebox_hidden_ordered ON messages (recipient_type, recipient_id, published_at DESC, publication_seq DESC) INCLUDE (message_id) WHERE NOT visible;
DROP INDEX CONCURRENTLY IF EXISTS messages_by_ebox_hidden;
ALTER INDEX messages_by_ebox_hidden_ordered RENAME TO messages_by_ebox_hidden;
DROP INDEX CONCURRENTLY IF EXISTS messages_by_ebox_registered_ordered;
CREATE INDEX CONCURRENTLY IF NOT EXISTS messages_by_ebox_registered_ordered ON messages (recipient_type, recipient_id, published_at DESC, publication_seq DESC) INCLUDE (message_id) WHERE registered_mail;
DROP INDEX CONCURRENTLY IF EXISTS messages_by_ebox_registered;
ALTER INDEX messages_by_ebox_registered_ordered RENAME TO messages_by_ebox_registered;
DROP PROCEDURE IF EXISTS number_legacy_publications(integer);
DROP FUNCTION IF EXISTS legacy_publication_seq(uuid);

-- Down Migration
-- (0010's down part removes the column and with it these indexes.)
