-- sqlite-queries.sql: the queries run after the 10,000 inserts of the apps
-- bundle's /apps/sqlite-10k.sql (scripts/apps-rootfs.sh builds it): count,
-- sum, avg, group by, a filter, a join-free subquery. Deterministic output.
.mode list
.separator |
SELECT 'count', count(*) FROM t;
SELECT 'sum', sum(val), sum(id) FROM t;
SELECT 'avg', printf('%.4f', avg(val)) FROM t;
SELECT 'min/max', min(name), max(name) FROM t;
SELECT 'group', grp, count(*), printf('%.2f', sum(val)), printf('%.4f', avg(id)) FROM t GROUP BY grp ORDER BY grp;
SELECT 'filter', count(*) FROM t WHERE name LIKE 'row-99%' AND val > 100;
SELECT 'top', id, val FROM t WHERE grp = 3 ORDER BY val DESC LIMIT 3;
SELECT 'above-avg', count(*) FROM t WHERE val > (SELECT avg(val) FROM t);
CREATE INDEX t_grp ON t(grp, val);
SELECT 'indexed', grp, max(val) FROM t WHERE grp IN (1, 5) GROUP BY grp ORDER BY grp;
UPDATE t SET val = val * 2 WHERE grp = 0;
DELETE FROM t WHERE id % 10 = 0;
SELECT 'after', count(*), sum(val) FROM t;
