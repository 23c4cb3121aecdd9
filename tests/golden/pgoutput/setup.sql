-- Setup run once before basic.sql, streaming.sql, twophase.sql and origin.sql (in that order),
-- on PostgreSQL 15 started with wal_level=logical, max_prepared_transactions=10 and
-- logical_decoding_work_mem=64kB (so the large transactions of streaming.sql are streamed).
CREATE TABLE customers (id integer PRIMARY KEY, name varchar(50), balance numeric(10,2),
                        created_at timestamptz, tags text[], data jsonb, big text);
ALTER TABLE customers ALTER COLUMN big SET STORAGE EXTERNAL;
CREATE TYPE mood AS ENUM ('sad', 'happy');
CREATE TABLE moods (id int PRIMARY KEY, m mood);
CREATE TABLE full_t (id int, v text);
ALTER TABLE full_t REPLICA IDENTITY FULL;
CREATE TABLE bigt (id int PRIMARY KEY, v text);
CREATE TABLE "Mixed Case" (k bigint PRIMARY KEY, flag boolean, f8 double precision, d date,
                           b bytea, u uuid);
CREATE PUBLICATION p FOR ALL TABLES;
SELECT pg_create_logical_replication_slot('s', 'pgoutput');
SELECT pg_create_logical_replication_slot('s2', 'pgoutput', false, true);  -- two_phase
-- After each script the changes were consumed with pg_logical_slot_get_binary_changes (see the
-- header of each .hex file for the options).
