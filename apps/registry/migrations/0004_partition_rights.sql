-- Up Migration
-- Partition rights of human users (brief §3.3, federation-duties §3.3): a cache of the federation's Partition
-- service, kept current by the webhook's partition and user-right events. Every right is stamped with the time of
-- the fact it records (the fetch, or the CloudEvent `time`): a change applies only when it is newer, so delayed
-- and out-of-order events never undo a later one (last writer wins per right).
--
-- user_partition_rights_loaded says that the whole set of a user's rights in an e-Box was fetched at fetched_at;
-- rights of users without such a row are never used for access (the service is asked first).
CREATE TABLE user_partition_rights_loaded (
  enterprise_number text NOT NULL CHECK (enterprise_number ~ '^[01][0-9]{9}$'),
  user_ssin         text NOT NULL CHECK (user_ssin ~ '^[0-9]{11}$'),
  fetched_at        timestamptz NOT NULL,
  PRIMARY KEY (enterprise_number, user_ssin)
);

CREATE TABLE user_partition_rights (
  enterprise_number text NOT NULL CHECK (enterprise_number ~ '^[01][0-9]{9}$'),
  user_ssin         text NOT NULL CHECK (user_ssin ~ '^[0-9]{11}$'),
  partition_id      text NOT NULL,
  granted           boolean NOT NULL,
  changed_at        timestamptz NOT NULL,
  PRIMARY KEY (enterprise_number, user_ssin, partition_id)
);
CREATE INDEX user_partition_rights_by_partition ON user_partition_rights (enterprise_number, partition_id);

-- CloudEvents received by POST /eventNotifications: delivery is at least once, so each (source, id) is applied
-- once; a redelivery answers as the first delivery did without applying anything.
CREATE TABLE processed_cloud_events (
  source        text NOT NULL,
  event_id      text NOT NULL,
  event_type    text NOT NULL,
  event_time    timestamptz NOT NULL,
  applied       boolean NOT NULL,          -- false: discarded as stale
  processed_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (source, event_id)
);
CREATE INDEX processed_cloud_events_by_age ON processed_cloud_events (processed_at);

-- Down Migration
DROP TABLE processed_cloud_events, user_partition_rights, user_partition_rights_loaded;
