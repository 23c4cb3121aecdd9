-- O1: a transaction replayed from another node: carries a replication origin
SELECT pg_replication_origin_create('upstream_a');
SELECT pg_replication_origin_session_setup('upstream_a');
BEGIN;
SELECT pg_replication_origin_xact_setup('0/ABCDEF0', '2024-05-06 07:08:09+00');
INSERT INTO bigt VALUES (9001, 'from upstream');
COMMIT;
