-- T1: insert with an out-of-line (EXTERNAL storage) big text value
INSERT INTO customers VALUES (1, 'Alice', 10.50, '2024-01-02 03:04:05.123456+00', '{a,b}', '{"k": 1}',
  (SELECT string_agg(md5(i::text), '') FROM generate_series(1, 100) i));
-- T2: update that leaves the toasted column alone: 'u' column, no old tuple
UPDATE customers SET balance = 20.00 WHERE id = 1;
-- T3: update that changes the key: 'K' old tuple
UPDATE customers SET id = 2, name = NULL WHERE id = 1;
-- T4: REPLICA IDENTITY FULL table: 'O' old tuples
BEGIN;
INSERT INTO full_t VALUES (1, 'one');
UPDATE full_t SET v = 'uno' WHERE id = 1;
DELETE FROM full_t WHERE id = 1;
COMMIT;
-- T5: delete by key
DELETE FROM customers WHERE id = 2;
-- T6: user-defined type: 'Y' message before the relation
INSERT INTO moods VALUES (1, 'happy');
-- T7: logical messages
BEGIN;
SELECT pg_logical_emit_message(true, 'pfx', 'hello');
INSERT INTO "Mixed Case" VALUES (9000000000, true, 1.5, '2024-02-29', '\x00ff', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11');
COMMIT;
SELECT pg_logical_emit_message(false, 'nt', 'world');
-- T8: truncate of two tables with RESTART IDENTITY and CASCADE
TRUNCATE customers, full_t RESTART IDENTITY CASCADE;
-- T9: schema change: new column, then an insert -> new Relation message
ALTER TABLE customers ADD COLUMN extra int;
INSERT INTO customers (id, name, extra) VALUES (3, 'Carol', 7);
ALTER TABLE customers RENAME COLUMN extra TO bonus;
ALTER TABLE customers ALTER COLUMN bonus TYPE bigint;
INSERT INTO customers (id, name, bonus) VALUES (4, 'Dave', 8);
