-- P1: prepared then committed
BEGIN;
INSERT INTO bigt VALUES (6001, 'p1');
PREPARE TRANSACTION 'g1';
COMMIT PREPARED 'g1';
-- P2: prepared then rolled back
BEGIN;
INSERT INTO bigt VALUES (6002, 'p2');
PREPARE TRANSACTION 'g2';
ROLLBACK PREPARED 'g2';
-- P3: a large prepared transaction (streamed, Stream Prepare) then committed
BEGIN;
INSERT INTO bigt SELECT i, 'p3' FROM generate_series(7001, 8000) i;
PREPARE TRANSACTION 'g3';
COMMIT PREPARED 'g3';
