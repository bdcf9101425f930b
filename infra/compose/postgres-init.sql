-- one database per service (ARCHITECTURE.md); least-privilege roles come with the deploy work
CREATE DATABASE orderflow_order;
CREATE DATABASE orderflow_payment;
CREATE DATABASE orderflow_shipping;
