-- S1: a large transaction that streams; a savepoint rolled back inside it
BEGIN;
INSERT INTO bigt SELECT i, 'a' FROM generate_series(1, 1000) i;
SAVEPOINT sp1;
INSERT INTO bigt SELECT i, 'b' FROM generate_series(1001, 1600) i;
ROLLBACK TO SAVEPOINT sp1;
INSERT INTO bigt SELECT i, 'c' FROM generate_series(2001, 2010) i;
COMMIT;
-- S2: a large transaction that aborts
BEGIN;
INSERT INTO bigt SELECT i, 'd' FROM generate_series(3001, 4000) i;
ROLLBACK;
-- S3: a small transaction after them
INSERT INTO bigt VALUES (5000, 'e');
