"""Who is acting, what they may do, and the record of what they did."""
