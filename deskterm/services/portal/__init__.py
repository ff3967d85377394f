"""What the web portal's customers may do: accounts, their tickets, tracking links."""
