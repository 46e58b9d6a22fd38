select id, customer, amount
from {{ ref('raw_orders') }}
where status <> 'cancelled'
