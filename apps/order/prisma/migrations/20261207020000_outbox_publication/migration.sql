-- The outbox relay's wal mode reads the outbox's inserts from the WAL through this publication
-- (docs/relay.md); the replication role may read the outbox and delete the rows it confirmed.
CREATE PUBLICATION "orderflow_outbox" FOR TABLE "outbox" WITH (publish = 'insert');

DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'relay_replication') THEN
    GRANT SELECT, DELETE ON "outbox" TO "relay_replication";
  END IF;
END $$;
