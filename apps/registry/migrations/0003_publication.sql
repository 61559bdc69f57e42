-- Up Migration
-- Publication (§5.7, federation-duties §3.3, §7): the routing rules of each enterprise, cached from the
-- federation's Partition service and kept current by the webhook.
--
-- One row in routing_rule_sets per enterprise whose rules are known (possibly none: an empty set is still a
-- known set), with the CloudEvent time of the last update applied, so that a delayed or replayed event never
-- overwrites newer rules. The rules themselves, highest priority first (priority 0 = evaluated first).
CREATE TABLE routing_rule_sets (
  enterprise_number text PRIMARY KEY CHECK (enterprise_number ~ '^[01][0-9]{9}$'),
  event_time        timestamptz NOT NULL,
  updated_at        timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE routing_rules (
  enterprise_number      text NOT NULL REFERENCES routing_rule_sets (enterprise_number) ON DELETE CASCADE,
  priority               integer NOT NULL CHECK (priority >= 0),
  routing_rule_id        bigint NOT NULL,
  partition_id           text NOT NULL,
  -- Criteria: a rule matches a message when every criterion it names equals the message's value.
  message_type_id        text,
  sender_application_id  text,
  sender_organization_id text,
  PRIMARY KEY (enterprise_number, priority)
);

-- Down Migration
DROP TABLE routing_rules, routing_rule_sets;
