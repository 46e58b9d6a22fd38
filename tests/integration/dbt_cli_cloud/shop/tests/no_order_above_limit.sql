-- fails when an order is above the `max_amount` var (default high enough to pass)
select * from {{ ref('stg_orders') }} where amount > {{ var('max_amount', 1000) }}
