-- One database per service, each owned by that service's migration role; the service runs with
-- a role that can read and write rows but not change the schema; the relay reads and marks
-- outbox rows (poll mode), or reads them from a replication slot (wal mode, relay_replication:
-- REPLICATION, and SELECT and DELETE on the outbox only, granted by each service's migration).
-- Passwords here are for local Docker use only.
CREATE ROLE order_migrate LOGIN PASSWORD 'order_migrate';
CREATE ROLE order_app LOGIN PASSWORD 'order_app';
CREATE ROLE payment_migrate LOGIN PASSWORD 'payment_migrate';
CREATE ROLE payment_app LOGIN PASSWORD 'payment_app';
CREATE ROLE shipping_migrate LOGIN PASSWORD 'shipping_migrate';
CREATE ROLE shipping_app LOGIN PASSWORD 'shipping_app';
CREATE ROLE relay_app LOGIN PASSWORD 'relay_app';
CREATE ROLE relay_replication LOGIN REPLICATION PASSWORD 'relay_replication';

CREATE DATABASE orderflow_order OWNER order_migrate;
CREATE DATABASE orderflow_payment OWNER payment_migrate;
CREATE DATABASE orderflow_shipping OWNER shipping_migrate;

-- every role may connect to every database unless told otherwise: a service reaches only its own
REVOKE CONNECT, TEMPORARY ON DATABASE orderflow_order, orderflow_payment, orderflow_shipping FROM PUBLIC;
GRANT CONNECT ON DATABASE orderflow_order TO order_app, relay_app, relay_replication;
GRANT CONNECT ON DATABASE orderflow_payment TO payment_app, relay_app, relay_replication;
GRANT CONNECT ON DATABASE orderflow_shipping TO shipping_app, relay_app, relay_replication;

\connect orderflow_order
ALTER SCHEMA public OWNER TO order_migrate;
GRANT USAGE ON SCHEMA public TO order_app, relay_app, relay_replication;
ALTER DEFAULT PRIVILEGES FOR ROLE order_migrate IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO order_app;
ALTER DEFAULT PRIVILEGES FOR ROLE order_migrate IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO order_app;
ALTER DEFAULT PRIVILEGES FOR ROLE order_migrate IN SCHEMA public GRANT SELECT, UPDATE, DELETE ON TABLES TO relay_app;

\connect orderflow_payment
ALTER SCHEMA public OWNER TO payment_migrate;
GRANT USAGE ON SCHEMA public TO payment_app, relay_app, relay_replication;
ALTER DEFAULT PRIVILEGES FOR ROLE payment_migrate IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO payment_app;
ALTER DEFAULT PRIVILEGES FOR ROLE payment_migrate IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO payment_app;
ALTER DEFAULT PRIVILEGES FOR ROLE payment_migrate IN SCHEMA public GRANT SELECT, UPDATE, DELETE ON TABLES TO relay_app;

\connect orderflow_shipping
ALTER SCHEMA public OWNER TO shipping_migrate;
GRANT USAGE ON SCHEMA public TO shipping_app, relay_app, relay_replication;
ALTER DEFAULT PRIVILEGES FOR ROLE shipping_migrate IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO shipping_app;
ALTER DEFAULT PRIVILEGES FOR ROLE shipping_migrate IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO shipping_app;
ALTER DEFAULT PRIVILEGES FOR ROLE shipping_migrate IN SCHEMA public GRANT SELECT, UPDATE, DELETE ON TABLES TO relay_app;
