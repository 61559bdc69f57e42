-- Up Migration
-- Events for the e-Box Event Service (federation-duties §2), written in the same transaction as the change
-- that causes them and delivered by the worker. One row per (message, event type): at most once each.
CREATE TABLE outbox_events (
  event_id          uuid PRIMARY KEY,            -- sent as eventCorrelationId, the same on every retry
  message_id        uuid NOT NULL,
  event_type        text NOT NULL CHECK (event_type IN ('newDocument', 'readDocument', 'newDocumentReminder', 'documentExpirationAlert')),
  payload           jsonb NOT NULL,
  status            text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'dead')),
  attempts          integer NOT NULL DEFAULT 0,
  next_attempt_at   timestamptz NOT NULL DEFAULT now(),
  last_error        text,
  created_at        timestamptz NOT NULL DEFAULT now(),
  delivered_at      timestamptz,
  UNIQUE (message_id, event_type)
);
CREATE INDEX outbox_events_due ON outbox_events (next_attempt_at) WHERE status = 'pending';

-- Down Migration
DROP TABLE outbox_events;
