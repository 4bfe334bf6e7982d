-- The catalog the cart sells from. A price is numeric(10,2), exact: the API
-- reads it as the text PostgreSQL sends and keeps it as integer cents, so
-- money never passes through a float. bigint ids, so that any id a client
-- sends fits the parameter (an int4 column would make a large one an error).
CREATE TABLE IF NOT EXISTS products (
    id     bigserial NOT NULL PRIMARY KEY,
    name   varchar(200) NOT NULL,
    price  numeric(10,2) NOT NULL CHECK (price >= 0),
    active boolean NOT NULL DEFAULT true
);

-- A small catalog, so that a first run has something to put in a cart.
-- Deactivate a product (active = false) rather than deleting it: carts drop
-- it either way, but its rows elsewhere keep their meaning.
INSERT INTO products (name, price, active) VALUES
    ('Espresso machine',       '299.99', true),
    ('Burr coffee grinder',    '149.50', true),
    ('Milk frothing jug',       '24.90', true),
    ('Ceramic cup, set of 4',   '39.00', true),
    ('Coffee beans, 1 kg',      '18.75', true),
    ('Descaling tablets',        '9.99', true),
    ('Tamper',                  '29.00', true),
    ('Cleaning brush',           '5.00', true);
