-- The catalog the cart sells from. On SQLite the price is TEXT holding the
-- canonical decimal ('299.99'), unlike PostgreSQL's numeric(10,2): a column
-- of NUMERIC affinity (Django's "decimal") would store '299.99' as a REAL, a
-- binary float, and money never passes through a float. The CHECK keeps the
-- text what numeric(10,2) would print: up to eight digits, a point, two digits.
CREATE TABLE IF NOT EXISTS "products" (
    "id"     integer NOT NULL PRIMARY KEY AUTOINCREMENT,
    "name"   varchar(200) NOT NULL,
    "price"  text NOT NULL CHECK (
        "price" GLOB '*[0-9].[0-9][0-9]'
        AND "price" NOT GLOB '*[^0-9.]*'
        AND "price" NOT GLOB '*.*.*'
        AND length("price") <= 11
    ),
    "active" bool NOT NULL DEFAULT 1
);

-- A small catalog, so that a first run has something to put in a cart.
INSERT INTO "products" ("name", "price", "active") VALUES
    ('Espresso machine',      '299.99', 1),
    ('Burr coffee grinder',   '149.50', 1),
    ('Milk frothing jug',     '24.90', 1),
    ('Ceramic cup, set of 4', '39.00', 1),
    ('Coffee beans, 1 kg',    '18.75', 1),
    ('Descaling tablets',     '9.99', 1),
    ('Tamper',                '29.00', 1),
    ('Cleaning brush',        '5.00', 1);
