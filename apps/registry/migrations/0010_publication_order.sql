-- Up Migration
-- Issue 18: the list is newest first, and messages published within the same second (published_at is whole
-- seconds) come in publication order. message_id (a random UUID) said nothing about that order; publication_seq
-- is given by the insert, so a later publication always has a larger number. Existing rows are numbered in their
-- publication order (ties by message_id, as they were listed before).
ALTER TABLE messages ADD COLUMN publication_seq bigint;
UPDATE messages m SET publication_seq = o.seq
  FROM (SELECT message_id, row_number() OVER (ORDER BY published_at, message_id) AS seq FROM messages) o
  WHERE m.message_id = o.message_id;
ALTER TABLE messages ALTER COLUMN publication_seq SET NOT NULL;
ALTER TABLE messages ALTER COLUMN publication_seq ADD GENERATED ALWAYS AS IDENTITY;
SELECT setval(pg_get_serial_sequence('messages', 'publication_seq'),
              coalesce((SELECT max(publication_seq) FROM messages), 0) + 1, false);

-- Every list index keeps the list's order (published_at DESC, publication_seq DESC); message_id rides along so
-- that the page's ids are still read from the index alone.
DROP INDEX messages_by_ebox, messages_by_ebox_partition, messages_by_ebox_type, messages_by_ebox_sender,
  messages_by_ebox_application, messages_by_ebox_unread, messages_by_ebox_hidden, messages_by_ebox_registered;
CREATE INDEX messages_by_ebox ON messages (recipient_type, recipient_id, published_at DESC, publication_seq DESC)
  INCLUDE (expires_at, partition_id, message_id);
CREATE INDEX messages_by_ebox_partition ON messages (recipient_type, recipient_id, partition_id, published_at DESC, publication_seq DESC) INCLUDE (message_id);
CREATE INDEX messages_by_ebox_type ON messages (recipient_type, recipient_id, message_type_id, published_at DESC, publication_seq DESC) INCLUDE (message_id);
CREATE INDEX messages_by_ebox_sender ON messages (recipient_type, recipient_id, sender_enterprise_number, published_at DESC, publication_seq DESC) INCLUDE (message_id);
CREATE INDEX messages_by_ebox_application ON messages (recipient_type, recipient_id, sender_application_id, published_at DESC, publication_seq DESC) INCLUDE (message_id);
CREATE INDEX messages_by_ebox_unread ON messages (recipient_type, recipient_id, published_at DESC, publication_seq DESC) INCLUDE (message_id) WHERE read_at IS NULL;
CREATE INDEX messages_by_ebox_hidden ON messages (recipient_type, recipient_id, published_at DESC, publication_seq DESC) INCLUDE (message_id) WHERE NOT visible;
CREATE INDEX messages_by_ebox_registered ON messages (recipient_type, recipient_id, published_at DESC, publication_seq DESC) INCLUDE (message_id) WHERE registered_mail;

-- Down Migration
DROP INDEX messages_by_ebox, messages_by_ebox_partition, messages_by_ebox_type, messages_by_ebox_sender,
  messages_by_ebox_application, messages_by_ebox_unread, messages_by_ebox_hidden, messages_by_ebox_registered;
ALTER TABLE messages DROP COLUMN publication_seq;
CREATE INDEX messages_by_ebox ON messages (recipient_type, recipient_id, published_at DESC, message_id DESC)
  INCLUDE (expires_at, partition_id);
CREATE INDEX messages_by_ebox_partition ON messages (recipient_type, recipient_id, partition_id, published_at DESC, message_id DESC);
CREATE INDEX messages_by_ebox_type ON messages (recipient_type, recipient_id, message_type_id, published_at DESC, message_id DESC);
CREATE INDEX messages_by_ebox_sender ON messages (recipient_type, recipient_id, sender_enterprise_number, published_at DESC, message_id DESC);
CREATE INDEX messages_by_ebox_application ON messages (recipient_type, recipient_id, sender_application_id, published_at DESC, message_id DESC);
CREATE INDEX messages_by_ebox_unread ON messages (recipient_type, recipient_id, published_at DESC, message_id DESC) WHERE read_at IS NULL;
CREATE INDEX messages_by_ebox_hidden ON messages (recipient_type, recipient_id, published_at DESC, message_id DESC) WHERE NOT visible;
CREATE INDEX messages_by_ebox_registered ON messages (recipient_type, recipient_id, published_at DESC, message_id DESC) WHERE registered_mail;
