"""Finding tickets: filters, lists, counts, saved views, and bulk changes over them."""
